// Real ComfyUI API clients (pinned npm packages) against a real comfyd:
// connect, read object_info, queue, follow progress to completion, read
// history, fetch the image through /view, upload an image, interrupt, and
// delete from the queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Client } from "@stable-canvas/comfyui-client";
import { ComfyApi, CallWrapper, PromptBuilder } from "@saintno/comfyui-sdk";
import { HOST, BASE, defaultWorkflow, isPNG, waitFor, history, tinyPNG } from "./lib.mjs";

test("@stable-canvas/comfyui-client: object_info, enqueue with progress, history, view", async () => {
  const client = new Client({ api_host: HOST, clientId: "e2e-stable-canvas", WebSocket, fetch });
  client.connect();
  try {
    const defs = await client.getNodeDefs();
    assert.ok(defs.KSampler, "KSampler missing from object_info");
    assert.ok(defs["KSampler //Inspire"], "KSampler (inspire) missing from object_info");

    let progress = 0;
    const wf = await defaultWorkflow();
    const out = await client.enqueue(wf, { disable_random_seed: true, progress: () => progress++, timeout_ms: 60000 });
    assert.ok(progress > 0, "no progress messages");
    assert.ok(out.images.length > 0, "no images in the result");

    // This client reshapes /history into {History: [items]}.
    const hist = await client.getHistory(10);
    const entry = hist.History.find((item) => item.prompt[1] === out.prompt_id);
    assert.ok(entry, "prompt missing from history");
    assert.equal(entry.status.status_str, "success");
    const ref = Object.values(entry.outputs).flatMap((o) => o.images || [])[0];
    const png = await (await fetch(client.viewURL(ref.filename, ref.subfolder, ref.type))).arrayBuffer();
    assert.ok(isPNG(png), "/view did not return a PNG");
  } finally {
    client.close();
  }
});

test("@stable-canvas/comfyui-client: delete from the queue and interrupt", async () => {
  const client = new Client({ api_host: HOST, clientId: "e2e-stable-canvas-2", WebSocket, fetch });
  client.connect();
  try {
    const long = await defaultWorkflow({ steps: 400, size: 512, seed: 1 });
    const first = await client.queuePrompt(0, { prompt: long });
    const second = await client.queuePrompt(0, { prompt: await defaultWorkflow({ steps: 400, size: 512, seed: 2 }) });
    await waitFor(async () => (await client.getQueue()).Running.length > 0, "a running prompt");
    await client.deleteItem("queue", second.prompt_id);
    const q = await client.getQueue();
    assert.ok(!q.Pending.some((p) => p.prompt[1] === second.prompt_id), "deleted prompt still pending");
    await client.interrupt();
    const h = await waitFor(() => history(first.prompt_id), "interrupted history entry");
    assert.equal(h.status.status_str, "error");
    assert.ok(h.status.messages.some(([name]) => name === "execution_interrupted"), "no execution_interrupted message");
    assert.equal(await history(second.prompt_id), undefined, "deleted prompt ran anyway");
  } finally {
    client.close();
  }
});

test("@saintno/comfyui-sdk: ready, node defs, upload, run with progress, history", async () => {
  const api = await new ComfyApi(BASE, "e2e-saintno").init().waitForReady();
  try {
    const defs = await api.getNodeDefs("KSampler");
    assert.ok(defs && defs.KSampler, "KSampler def missing");

    const up = await api.uploadImage(tinyPNG(), "e2e-upload.png");
    assert.ok(up && up.info.filename.startsWith("e2e-upload"), "upload failed");
    const back = await (await fetch(`${BASE}/view?filename=${encodeURIComponent(up.info.filename)}&type=input`)).arrayBuffer();
    assert.ok(isPNG(back), "uploaded file not served by /view");

    // This SDK attaches its progress handler only after the POST /prompt
    // response arrives, so a run must outlast that round trip for progress
    // to be seen: use more steps and a larger image than the other tests.
    const wf = await defaultWorkflow({ seed: 7, steps: 60, size: 384 });
    const builder = new PromptBuilder(wf, ["seed"], ["images"]).setInputNode("seed", "3.inputs.seed").setOutputNode("images", "9").input("seed", 7);
    let progress = 0;
    let promptId;
    const result = await new CallWrapper(api, builder)
      .onStart((id) => (promptId = id))
      .onProgress(() => progress++)
      .run();
    assert.ok(result, "run failed");
    assert.ok(progress > 0, "no progress");
    assert.ok(result.images.images.length > 0, "no images");
    const h = await api.getHistory(promptId);
    assert.equal(h.status.status_str, "success");
  } finally {
    api.destroy();
  }
});
