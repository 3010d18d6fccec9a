// Shared helpers for driving code-server's workbench with playwright-core and Debian chromium.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`missing env ${name}`);
  return value;
}

const require = createRequire(path.join(env("CLIENT_DIR"), "package.json"));
const { chromium } = require("playwright-core");

/** Wait until `predicate()` (sync or async) returns something truthy, and return it; the timeout is a hang
 * guard, and its error names what was awaited (the drivers' one polling helper, like tests/support/waiting.py). */
export async function waitUntil(predicate, what, timeoutMs = 30000, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs named steps, records their results, and writes them to RESULT at the end. */
export class Steps {
  constructor(resultFile) {
    this.resultFile = resultFile;
    this.results = { steps: {}, errors: [] };
    this.t0 = Date.now();
  }

  log(...args) {
    console.log(`[${((Date.now() - this.t0) / 1000).toFixed(1)}s]`, ...args);
  }

  async step(name, fn) {
    this.log("step", name);
    try {
      this.results.steps[name] = { ok: true, ...(await fn()) };
      this.log("  ok", JSON.stringify(this.results.steps[name]).slice(0, 400));
    } catch (error) {
      this.results.steps[name] = { ok: false, error: String(error?.stack ?? error) };
      this.log("  FAILED", String(error?.message ?? error));
      throw error;
    }
  }

  finish() {
    this.results.seconds = (Date.now() - this.t0) / 1000;
    fs.writeFileSync(this.resultFile, JSON.stringify(this.results, null, 2));
  }
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-dev-shm-usage"],
  });
}

export async function emulator(control, pathName, body) {
  const response = await fetch(`${control}${pathName}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${pathName}: ${response.status} ${await response.text()}`);
}

/** Load the workbench for a folder; `ready` is a selector that shows the extension is up. */
export async function openWorkbench(page, csUrl, folder, ready) {
  await page.goto(`${csUrl}/?folder=${encodeURIComponent(folder)}`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  if (ready) await page.waitForSelector(ready, { timeout: 60000 });
}

export async function runCommand(page, title) {
  await page.click(".monaco-workbench .part.statusbar", { position: { x: 5, y: 5 } });
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 10000 });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 15000 });
  await row.click(); // not Enter: it can land in the editor
}

export async function findFrame(page, selector, timeoutMs = 30000) {
  return waitUntil(async () => {
    for (const frame of page.frames()) {
      if (await frame.$(selector).catch(() => null)) return frame;
    }
    return null;
  }, `a frame with ${selector}`, timeoutMs, 300);
}

/** Open the ChatLS activity-bar container and return the chat webview's frame once profiles are in. */
export async function openPanel(page) {
  await page.locator('.activitybar .action-item .action-label[aria-label^="ChatLS"]').first().click();
  const frame = await findFrame(page, "#send");
  await frame.waitForFunction(() => document.querySelectorAll("#profile option").length > 0, null, { timeout: 30000 });
  return frame;
}

export async function panelShot(page, dir, name) {
  const file = path.join(dir, `${name}.png`);
  const sidebar = page.locator(".part.sidebar");
  await ((await sidebar.count()) ? sidebar.first() : page).screenshot({ path: file });
  await page.screenshot({ path: path.join(dir, `${name}-window.png`) });
  return file;
}

export async function editorText(page) {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll(".editor-instance .view-lines .view-line")];
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((l) => l.textContent.replace(/\u00a0/g, " ")).join("\n");
  });
}

/** Click a button of the notification toast that contains `text`. */
export async function clickNotificationButton(page, text, button, timeout = 30000) {
  const toast = page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
  await toast.waitFor({ timeout });
  await toast.locator(".monaco-button", { hasText: button }).first().click();
}

export async function waitForNotification(page, text, timeout = 30000) {
  const toast = page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
  await toast.waitFor({ timeout });
  return toast.locator(".notification-list-item-message").first().textContent();
}
