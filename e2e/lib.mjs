// Shared helpers for the end-to-end scripts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import zlib from "node:zlib";

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

// A tiny valid PNG (2x2 RGBA) for upload tests, built with node:zlib.
export function tinyPNG() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 128]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
