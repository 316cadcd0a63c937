// Shared helpers for the end-to-end scripts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export const HOST = process.env.COMFYD_HOST || "127.0.0.1:8188";
export const BASE = `http://${HOST}`;

// The stock text-to-image workflow, pointed at comfyd's built-in model and
// made small so the suite stays fast.
export async function defaultWorkflow({ steps = 8, size = 128, seed = 42 } = {}) {
  const wf = JSON.parse(readFileSync(new URL("../testdata/workflows/default_t2i.api.json", import.meta.url)));
  const info = await (await fetch(`${BASE}/object_info/CheckpointLoaderSimple`)).json();
  const ckpts = info.CheckpointLoaderSimple.input.required.ckpt_name[0];
  assert.ok(ckpts.length > 0, "no checkpoints listed");
  wf["4"].inputs.ckpt_name = ckpts[0];
  wf["3"].inputs.steps = steps;
  wf["3"].inputs.seed = seed;
  wf["5"].inputs.width = size;
  wf["5"].inputs.height = size;
  return wf;
}

export function isPNG(buf) {
  const b = new Uint8Array(buf);
  return b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

export async function waitFor(fn, what, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function history(id) {
  const r = await fetch(`${BASE}/history/${id}`);
  const h = await r.json();
  return h[id];
}

// A tiny valid PNG (2x2 RGBA) for upload tests, built without a library.
export function tinyPNG() {
  return Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000002000000020806000000f278d4fa0000001649444154789c63f8cfc0f09f81e13f03c3ff0c0c0c00002bfa05fb1a0c5d5f0000000049454e44ae426082",
    "hex",
  );
}
