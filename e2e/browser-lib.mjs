// Helpers for the browser end-to-end test: a headless Debian chromium with
// a throwaway profile, pages that record every console error and page
// error, and a folder for screenshots.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const ARTIFACTS = process.env.COMFYD_E2E_ARTIFACTS || join(tmpdir(), "comfyd-e2e-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
];

// launch starts chromium on a fresh user-data-dir; close() removes it.
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "comfyd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1400, height: 900 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// watch records console errors and uncaught page errors. allow(message)
// may excuse an error a test provokes on purpose (e.g. a 400 it expects).
export function watch(page, allow = () => false) {
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const entry = { text: msg.text(), url: msg.location()?.url || "" };
    if (!allow(entry)) problems.push(`console error: ${entry.text} (${entry.url})`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  return problems;
}

export async function screenshot(page, name, options = {}) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, ...options });
  return path;
}

// pngWithText returns a valid 1x1 PNG carrying the given text chunks:
// [{type: "tEXt"|"zTXt"|"iTXt", keyword, text, compressed?}].
export function pngWithText(chunks) {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]); // 1x1, 8-bit RGBA
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  for (const c of chunks) {
    const key = Buffer.from(c.keyword, "latin1");
    let data;
    if (c.type === "tEXt") data = Buffer.concat([key, Buffer.from([0]), Buffer.from(c.text, "latin1")]);
    else if (c.type === "zTXt") data = Buffer.concat([key, Buffer.from([0, 0]), deflateSync(Buffer.from(c.text, "latin1"))]);
    else {
      const text = Buffer.from(c.text, "utf8");
      data = Buffer.concat([key, Buffer.from([0, c.compressed ? 1 : 0, 0, 0, 0]), c.compressed ? deflateSync(text) : text]);
    }
    parts.push(chunk(c.type, data));
  }
  parts.push(chunk("IDAT", deflateSync(Buffer.from([0, 0x7a, 0xa2, 0xff, 0xff]))), chunk("IEND", Buffer.alloc(0)));
  return Buffer.concat(parts);
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
