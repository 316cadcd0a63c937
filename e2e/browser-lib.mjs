// Helpers for the browser end-to-end test: a headless Debian chromium with
// a throwaway profile, pages that record every console error and page
// error, and a folder for screenshots.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
