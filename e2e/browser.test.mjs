// The built-in web UI in a real browser (Debian's chromium through
// playwright-core) against the real comfyd that run.sh started: load the
// UI, edit widgets, queue the default workflow on the built-in model, see
// progress, previews and the final image; validation errors inline;
// loading a PNG and pasted JSON; queue/history actions; WebSocket
// reconnection; a phone-sized screen. Any console error or uncaught page
// error fails the test that caused it.
import { test, before, after } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { BASE, waitFor, defaultWorkflow } from "./lib.mjs";
import { launch, watch, screenshot, pngWithText, ARTIFACTS } from "./browser-lib.mjs";

let browser;
before(async () => {
  const index = await (await fetch(BASE + "/")).text();
  assert.ok(index.includes('src="js/app.js"'),
    "comfyd does not serve the built-in UI at / (cmd/comfyd must set server.Config.WebFS = web.FS())");
  browser = await launch();
});
after(async () => {
  await browser?.close();
  console.log(`screenshots in ${ARTIFACTS}`);
});

// open loads the UI in a new tab and waits until it has its node
// definitions, workflow and lists.
async function open({ context = browser.context, allow, beforeLoad } = {}) {
  const page = await context.newPage();
  const problems = watch(page, allow);
  if (beforeLoad) await beforeLoad(page);
  await page.goto(BASE + "/");
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  return { page, problems };
}

const field = (node, input, control = "input, select, textarea") => `[data-node="${node}"] [data-input="${input}"] :is(${control})`;

// small turns the loaded default workflow into a quick run, through the UI.
async function small(page, { size = 128, steps = 6 } = {}) {
  const old = await page.$("#nodes > .node");
  await page.click("#load-default");
  if (old) await page.waitForFunction((el) => !el.isConnected, old); // the reload re-rendered
  await page.fill(field(5, "width", "input"), String(size));
  await page.fill(field(5, "height", "input"), String(size));
  await page.fill(field(3, "steps", "input"), String(steps));
}

// record notes what the page shows while a prompt runs.
async function record(page) {
  await page.evaluate(() => {
    const seen = { status: [], previews: 0, running: [] };
    window.__seen = seen;
    const status = document.getElementById("run-status");
    new MutationObserver(() => seen.status.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => { seen.previews += 1; }).observe(document.getElementById("preview-img"), { attributes: true, attributeFilter: ["src"] });
    new MutationObserver((muts) => {
      for (const m of muts) if (m.target.classList.contains("running")) seen.running.push(m.target.dataset.node);
    }).observe(document.getElementById("nodes"), { attributes: true, subtree: true, attributeFilter: ["class"] });
  });
}

async function finalImage(page) {
  await page.waitForSelector(".result img", { timeout: 60000 });
  return waitFor(() => page.evaluate(() => {
    const img = document.querySelector(".result img");
    return img.complete && img.naturalWidth > 0 ? { width: img.naturalWidth, height: img.naturalHeight, src: img.src } : null;
  }), "the final image to load");
}

let savedImage = null; // {filename, url} from the first run, for the PNG test

test("queues the default workflow with the keyboard and shows progress, previews and the image", async () => {
  const { page, problems } = await open();
  const ckpt = await page.$eval(field(4, "ckpt_name", "select"), (s) => s.selectedOptions[0].textContent);
  assert.match(ckpt, /\.safetensors$/, "the checkpoint is the server's first choice");
  await small(page);
  const seedBefore = await page.inputValue(field(3, "seed", "input"));
  assert.equal(await page.$eval(`[data-node="3"] .seed-mode`, (s) => s.value), "randomize");
  await record(page);

  // Enter in a single-line field queues.
  await page.focus(field(3, "steps", "input"));
  await page.keyboard.press("Enter");
  const img = await finalImage(page);
  assert.deepEqual([img.width, img.height], [128, 128]);
  await page.waitForSelector("#run-status[data-state=ok]");

  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.status.some((s) => /KSampler — \d+\/6/.test(s)), `no sampler progress shown: ${JSON.stringify(seen.status)}`);
  assert.ok(seen.running.includes("3"), "the KSampler card never showed as running");
  assert.ok(seen.previews > 0, "no latent preview was shown");
  assert.equal(await page.$eval(`[data-node="3"] .badge`, (b) => b.textContent), "done");

  // control_after_generate: the queued prompt used the old seed, the widget moved on.
  const seedAfter = await page.inputValue(field(3, "seed", "input"));
  assert.notEqual(seedAfter, seedBefore, "randomize did not change the seed after queueing");
  const history = await (await fetch(`${BASE}/history?max_items=1`)).json();
  const [entry] = Object.values(history);
  assert.equal(String(entry.prompt[2]["3"].inputs.seed), seedBefore, "the prompt did not carry the seed shown when queueing");
  const ref = entry.outputs["9"].images[0];
  savedImage = { filename: ref.filename, url: img.src };

  await page.waitForSelector("#history-list li.job.done");
  await screenshot(page, "desktop-after-run", { fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("shows validation errors on the offending input", async () => {
  const { page, problems } = await open({
    allow: (e) => e.url.endsWith("/api/prompt") && e.text.includes("400"),
  });
  await small(page);
  await page.fill(field(3, "steps", "input"), "0");
  await page.click("#queue-btn");
  await page.waitForSelector("#workflow-errors:not([hidden])");
  assert.match(await page.textContent("#workflow-errors"), /Prompt outputs failed validation/);
  const error = await page.textContent(`[data-node="3"] [data-input="steps"] .field-error`);
  assert.match(error, /smaller than min of 1/);
  assert.equal(await page.getAttribute(field(3, "steps", "input"), "aria-invalid"), "true");
  assert.ok(await page.$eval(field(3, "steps", "input"), (el) => el === document.activeElement), "focus did not move to the invalid input");
  assert.ok(await page.$eval(`[data-node="3"]`, (el) => el.classList.contains("has-error")));
  await screenshot(page, "validation-error");

  // Fixing the value and queueing with Ctrl+Enter clears the errors.
  await page.fill(field(3, "steps", "input"), "2");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector("#workflow-errors", { state: "hidden" });
  await finalImage(page);
  assert.equal(await page.getAttribute(field(3, "steps", "input"), "aria-invalid"), null);
  assert.deepEqual(problems, []);
  await page.close();
});

test("loads the workflow carried by a PNG comfyd saved, and pasted JSON", async () => {
  assert.ok(savedImage, "needs the image of the first test");
  const png = Buffer.from(await (await fetch(savedImage.url)).arrayBuffer());
  const { page, problems } = await open();
  await page.click("#load-default");
  await page.setInputFiles("#file-input", { name: savedImage.filename, mimeType: "image/png", buffer: png });
  await page.waitForFunction((name) => document.getElementById("workflow-source").textContent.includes(name), savedImage.filename);
  assert.equal(await page.inputValue(field(3, "steps", "input")), "6");
  assert.equal(await page.inputValue(field(5, "width", "input")), "128");

  // A UI-format workflow is refused with advice; an API-format one loads.
  await page.click("#load-paste");
  await page.fill("#paste-text", JSON.stringify({ nodes: [], links: [] }));
  await page.click("#paste-form button[type=submit]");
  assert.match(await page.textContent("#paste-error"), /UI-format/);
  const api = {
    "1": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 }, _meta: { title: "Pasted latent" } },
    "2": { class_type: "SaveLatent", inputs: { samples: ["1", 0], filename_prefix: "latents/e2e" } },
  };
  await page.fill("#paste-text", JSON.stringify(api));
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector(`[data-node="1"] h3:text("Pasted latent")`);
  assert.equal(await page.isVisible("#paste-dialog"), false);

  // Queue it: SaveLatent's output is offered as a download link.
  await page.click("#queue-btn");
  const link = await page.waitForSelector(".latent a", { timeout: 30000 });
  const href = await link.getAttribute("href");
  assert.match(href, /filename=e2e_\d+_\.latent/);
  const res = await fetch(href);
  assert.equal(res.status, 200);
  assert.deepEqual(problems, []);
  await page.close();
});

test("reads every PNG text chunk kind, applies every seed mode, keeps 64-bit seeds exact", async () => {
  const { page, problems } = await open();
  const png = pngWithText([
    { type: "tEXt", keyword: "parameters", text: "caf\u00e9" },
    { type: "zTXt", keyword: "workflow", text: '{"nodes": []}' },
    { type: "iTXt", keyword: "note", text: "snow \u2603", compressed: true },
    { type: "iTXt", keyword: "plain", text: "\u00fcber" },
  ]);
  const texts = await page.evaluate(async (b64) => {
    const { readPNGText } = await import("./js/png.js");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const all = await readPNGText(bytes.buffer);
    const truncated = [];
    for (const n of [50, 60]) { // mid-chunk, and at a chunk boundary before IEND
      await readPNGText(bytes.slice(0, n).buffer).then(() => truncated.push("read"), (e) => truncated.push(e.message));
    }
    let notPNG = "";
    await readPNGText(new TextEncoder().encode("{}").buffer).catch((e) => { notPNG = e.message; });
    return { all, truncated, notPNG };
  }, png.toString("base64"));
  assert.deepEqual(texts.all, { parameters: "caf\u00e9", workflow: '{"nodes": []}', note: "snow \u2603", plain: "\u00fcber" });
  assert.equal(texts.truncated.length, 2);

  // control_after_generate modes, straight on the widget module.
  const modes = await page.evaluate(async () => {
    const { createWidget } = await import("./js/widgets.js");
    const input = { name: "seed", kind: "int", required: true, type: "INT", options: { min: 0, max: 18446744073709551615n, control_after_generate: true } };
    const out = {};
    for (const [mode, start] of [["fixed", 7], ["increment", 7], ["decrement", 7], ["decrement", 0], ["increment", 18446744073709551614n]]) {
      let sent = null;
      const w = createWidget(input, start, (v) => { sent = v; });
      w.seedMode.value = mode;
      w.afterQueue();
      out[`${mode} ${start}`] = sent === null ? null : String(sent);
    }
    return out;
  });
  assert.deepEqual(modes, {
    "fixed 7": null, "increment 7": "8", "decrement 7": "6", "decrement 0": "0",
    "increment 18446744073709551614": "18446744073709551615",
  });
  for (const msg of texts.truncated) assert.match(msg, /truncated/);
  assert.match(texts.notPNG, /not a PNG/);

  // A PNG whose prompt holds the largest seed: the widget shows every digit
  // and the queued body carries it unrounded.
  const wf = await defaultWorkflow({ steps: 2, size: 64 });
  const big = "18446744073709551615";
  const text = JSON.stringify(wf).replace(/"seed":\d+/, `"seed":${big}`);
  await page.setInputFiles("#file-input", { name: "big-seed.png", mimeType: "image/png", buffer: pngWithText([{ type: "iTXt", keyword: "prompt", text }]) });
  await page.waitForFunction(() => document.getElementById("workflow-source").textContent.includes("big-seed.png"));
  assert.equal(await page.inputValue(field(3, "seed", "input")), big);
  await page.selectOption(`[data-node="3"] .seed-mode`, "fixed");
  const request = page.waitForRequest((r) => r.url().endsWith("/api/prompt") && r.method() === "POST");
  await page.click("#queue-btn");
  assert.ok((await request).postData().includes(`"seed":${big}`), "the seed was rounded on the way out");
  await finalImage(page);
  assert.equal(await page.inputValue(field(3, "seed", "input")), big, "fixed mode changed the seed");
  assert.deepEqual(problems, []);
  await page.close();
});

test("node library: search, add and remove nodes; an uploaded .json runs KSampler (inspire)", async () => {
  const { page, problems } = await open();
  await page.evaluate(() => { document.getElementById("library-details").open = true; });
  await page.fill("#library-search", "advanced inspire");
  assert.match(await page.textContent("#library-count"), /^1 of \d+$/);
  await page.click(`#library-list li:has-text("KSamplerAdvanced //Inspire") button`);
  const card = page.locator("#nodes .node").last();
  const id = await card.getAttribute("data-node");
  assert.ok(await card.evaluate((el) => el.contains(document.activeElement)), "focus did not move to the new node");
  // BOOLEAN as a checkbox with its on/off labels, seed controls by name.
  const addNoise = card.locator(`[data-input="add_noise"] input[type=checkbox]`);
  assert.equal(await addNoise.isChecked(), true);
  assert.equal(await card.locator(`[data-input="add_noise"] .bool-state`).textContent(), "enable");
  await addNoise.uncheck();
  assert.equal(await card.locator(`[data-input="add_noise"] .bool-state`).textContent(), "disable");
  assert.equal(await card.locator(`[data-input="noise_seed"] .seed-mode`).count(), 1);
  const seedInput = card.locator(`[data-input="noise_seed"] input`);
  await seedInput.fill("5");
  await card.locator(`[data-input="noise_seed"] button`).click();
  assert.notEqual(await seedInput.inputValue(), "5", "the dice did not change the seed");
  // Link sockets offer only compatible outputs.
  const modelSources = await card.locator(`[data-input="model"] select option`).allTextContents();
  assert.ok(modelSources.some((t) => /Load Checkpoint #4 → MODEL/.test(t)), modelSources.join("|"));
  assert.ok(!modelSources.some((t) => /CLIP$|LATENT$/.test(t)), modelSources.join("|"));
  // A v3 COMBO ("COMBO" + options) renders as a select too.
  await page.fill("#library-search", "KSamplerSelect");
  await page.click(`#library-list li:has-text("KSamplerSelect") button`);
  const select = page.locator(`#nodes .node`).last().locator(`[data-input="sampler_name"] select`);
  assert.equal(await select.locator("option:checked").textContent(), "euler");
  await page.click(`[data-node="${id}"] header button[aria-label^="Remove"]`);
  assert.equal(await page.locator(`[data-node="${id}"]`).count(), 0);

  // The Inspire text-to-image workflow as a .json file, made small.
  const json = readFileSync(new URL("../testdata/workflows/inspire_t2i.api.json", import.meta.url));
  await page.setInputFiles("#file-input", { name: "inspire_t2i.api.json", mimeType: "application/json", buffer: json });
  await page.waitForSelector(`[data-node="3"] .class-type:text("KSampler //Inspire")`);
  const ckpt = field(4, "ckpt_name", "select");
  assert.match(await page.textContent(`[data-node="4"] .field-error`), /not offered/);
  await page.selectOption(ckpt, { index: 1 });
  await page.fill(field(5, "width", "input"), "128");
  await page.fill(field(5, "height", "input"), "128");
  await page.fill(field(3, "steps", "input"), "4");
  await page.click("#queue-btn");
  await page.waitForSelector("#run-status[data-state=ok]", { timeout: 60000 });
  assert.equal(await page.locator(".result img").count(), 2, "batch of two: two images");
  assert.equal(await page.locator(".latent a").count(), 1, "SaveLatent: one link");
  assert.deepEqual(problems, []);
  await page.close();
});

test("LoadImage: upload through the widget, preview it, and see an execution error on its node", async () => {
  const { page, problems } = await open();
  const api = {
    "1": { class_type: "LoadImage", inputs: { image: "" } },
    "2": { class_type: "PreviewImage", inputs: { images: ["1", 0] } },
  };
  await page.click("#load-paste");
  await page.fill("#paste-text", JSON.stringify(api));
  await page.click("#paste-form button[type=submit]");
  const picker = `[data-node="1"] [data-input="image"] input[type=file]`;
  const stamp = Date.now();
  await page.setInputFiles(picker, { name: `e2e-good-${stamp}.png`, mimeType: "image/png", buffer: pngWithText([]) });
  await page.waitForFunction((v) => document.querySelector(`[data-node="1"] [data-input="image"] select`).selectedOptions[0]?.textContent === v, `e2e-good-${stamp}.png`);
  await page.waitForFunction(() => document.querySelector(`[data-node="1"] .input-thumb`)?.naturalWidth === 1);
  await page.click("#queue-btn");
  const img = await finalImage(page);
  assert.match(img.src, /type=temp/, "PreviewImage output is a temp file");

  await page.setInputFiles(picker, { name: `e2e-broken-${stamp}.png`, mimeType: "image/png", buffer: Buffer.from("not an image") });
  await page.waitForFunction((v) => document.querySelector(`[data-node="1"] [data-input="image"] select`).selectedOptions[0]?.textContent === v, `e2e-broken-${stamp}.png`);
  await page.click("#queue-btn");
  await page.waitForSelector("#run-status[data-state=error]", { timeout: 30000 });
  assert.match(await page.textContent("#run-status"), /^Failed in Load Image: /);
  assert.ok(await page.$eval(`[data-node="1"]`, (el) => el.classList.contains("has-error")));
  assert.notEqual(await page.textContent(`[data-node="1"] .node-errors`), "");
  assert.equal(await page.$eval(`[data-node="1"] .badge`, (b) => b.textContent), "error");
  await screenshot(page, "execution-error");
  assert.deepEqual(problems, []);
  await page.close();
});

test("keyboard: skip link, visible focus, every control named", async () => {
  const { page, problems } = await open();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "workflow");
  await page.keyboard.press("Tab");
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { tag: document.activeElement.tagName, style: s.outlineStyle, width: s.outlineWidth };
  });
  assert.notEqual(ring.style, "none", `no focus ring on ${ring.tag}`);
  const unnamed = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("button, input:not([type=file]), select, textarea")) {
      const name = el.getAttribute("aria-label") || el.labels?.[0]?.textContent || el.textContent;
      if (!name || !name.trim()) out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
  assert.deepEqual(unnamed, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test("queue and history panels: cancel pending, stop running, delete and re-run", async () => {
  const { page, problems } = await open();
  await small(page, { size: 256, steps: 400 });
  await page.click("#queue-btn");
  await page.click("#queue-btn"); // seed was randomised: a second, different prompt
  await page.waitForSelector("#queue-list li.job.running");
  const pending = await page.waitForSelector("#queue-list li.job.pending");
  const pendingId = await pending.getAttribute("data-prompt");
  await pending.$eval("button", (b) => b.click());
  await page.waitForSelector(`#queue-list li[data-prompt="${pendingId}"]`, { state: "detached" });

  const running = await page.$("#queue-list li.job.running");
  const runningId = await running.getAttribute("data-prompt");
  await running.$eval("button", (b) => b.click());
  const cancelled = await page.waitForSelector(`#history-list li[data-prompt="${runningId}"].cancelled`, { timeout: 30000 });
  assert.ok(cancelled);
  await page.waitForSelector("#run-status[data-state=error]");
  assert.match(await page.textContent("#run-status"), /Stopped/);
  assert.equal(await page.$eval(`[data-node="3"] .badge`, (b) => b.textContent), "stopped");
  assert.equal(await page.$$eval(".node.running", (l) => l.length), 0, "a node still looks running after the stop");
  assert.equal(await page.isVisible(`#history-list li[data-prompt="${pendingId}"]`), false, "a cancelled pending prompt must not reach history");

  await page.click(`#history-list li[data-prompt="${runningId}"] button:text("Delete")`);
  await page.waitForSelector(`#history-list li[data-prompt="${runningId}"]`, { state: "detached" });

  const before = new Set(await page.$$eval("#history-list li.job", (l) => l.map((li) => li.dataset.prompt)));
  await page.click(`#history-list li.job.done button:text("Re-run")`);
  await waitFor(async () => !before.has(await page.getAttribute("#history-list li.job", "data-prompt")), "the re-run to reach history");
  await screenshot(page, "queue-history");

  // Open puts a finished prompt back into the editor.
  const doneId = await page.getAttribute("#history-list li.job.done", "data-prompt");
  await page.click(`#history-list li[data-prompt="${doneId}"] button:text("Open")`);
  await page.waitForFunction((id) => document.getElementById("workflow-source").textContent.includes(id.slice(0, 8)), doneId);
  assert.deepEqual(problems, []);
  await page.close();
});

test("reconnects its WebSocket after the server goes away", async () => {
  const sockets = [];
  const { page, problems } = await open({
    beforeLoad: (p) => p.routeWebSocket(/\/ws\b/, (ws) => {
      ws.connectToServer();
      sockets.push(ws);
    }),
  });
  await page.waitForSelector("#conn[data-state=ok]");
  assert.equal(sockets.length, 1);
  await sockets[0].close({ code: 1012, reason: "service restart" });
  await page.waitForSelector("#conn[data-state=warn]");
  assert.match(await page.textContent("#conn"), /Reconnecting/);
  await page.waitForSelector("#conn[data-state=ok]", { timeout: 10000 });
  assert.equal(sockets.length, 2, "the page did not open a new socket");

  // The new socket works: a run still reports its progress and image.
  await small(page, { size: 64, steps: 3 });
  await page.click("#queue-btn");
  await finalImage(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("works on a phone-sized screen", async () => {
  const phone = await launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    const { page, problems } = await open({ context: phone.context });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const queueBox = await page.locator("#queue-btn").boundingBox();
    assert.ok(queueBox && queueBox.x + queueBox.width <= 390 && queueBox.y < 200, "the Queue button is not at hand");
    const wide = await page.$$eval(".node, .panel", (els) => els.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).length);
    assert.equal(wide, 0, "a card is wider than the screen");
    await screenshot(page, "phone-top");

    await small(page, { size: 128, steps: 4 });
    await page.tap("#queue-btn");
    const img = await finalImage(page);
    assert.deepEqual([img.width, img.height], [128, 128]);
    await screenshot(page, "phone-after-run", { fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await phone.close();
  }
});
