// Loads the production chat webview (real HTML, CSP, bundled script) in headless Debian chromium with a
// stubbed acquireVsCodeApi that records every posted message.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { renderWebviewHtml, makeNonce } = require(path.join(root, "out/src/webviewHtml.js"));

export const ORIGIN = "http://webview.test";
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-dev-shm-usage"],
  });
}

const files = {
  "/dist/webview.js": ["application/javascript", path.join(root, "dist/webview.js")],
  "/media/chat.css": ["text/css", path.join(root, "media/chat.css")],
};

/** A page showing the webview; `page.foreign` lists requests to anything but the webview's own files. */
export async function openWebview(browser, { state, viewport } = {}) {
  const page = await browser.newPage(viewport ? { viewport } : {});
  page.errors = [];
  page.foreign = [];
  page.cspViolations = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  await page.addInitScript((initialState) => {
    window.__posted = [];
    window.__state = initialState;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(m),
      getState: () => window.__state,
      setState: (s) => { window.__state = s; },
    });
  }, state);
  const nonce = makeNonce();
  const html = renderWebviewHtml({
    cspSource: ORIGIN, nonce,
    scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/media/chat.css`,
  });
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin === ORIGIN && url.pathname === "/index.html") {
      return route.fulfill({ contentType: "text/html", body: html });
    }
    const file = url.origin === ORIGIN ? files[url.pathname] : undefined;
    if (file) {
      return route.fulfill({ contentType: file[0], body: fs.readFileSync(file[1]) });
    }
    page.foreign.push(url.href);
    return route.abort();
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === "ready"));
  return page;
}

/** Deliver an extension -> webview message. */
export async function deliver(page, message) {
  await page.evaluate((m) => window.postMessage(m, "*"), message);
}

/** Wait until everything delivered so far is on screen (the renderer works in animation frames). */
export async function rendered(page) {
  await page.waitForFunction(() => document.body.dataset.rendering !== "true");
}

/** The side bar's default width in VS Code. */
export const SIDEBAR = { width: 300, height: 700 };

/** Deliver an extension -> webview message and return once the page has handled it (dispatched in place). */
export async function deliverNow(page, message) {
  await page.evaluate((m) => window.dispatchEvent(new window.MessageEvent("message", { data: m })), message);
}

export async function posted(page, type) {
  return page.evaluate((t) => window.__posted.filter((m) => !t || m.type === t), type);
}

export const PROFILES = [
  { name: "fast", model: "gpt-4o", reasoning: false, reasoningEfforts: [] },
  { name: "deep", model: "o3-mini", reasoning: true, reasoningEfforts: ["low", "medium", "high"] },
];

export async function init(page, extra = {}) {
  await deliver(page, {
    type: "init", profiles: PROFILES, activeProfile: "fast", reasoningEffort: null,
    conversations: [], conversation: null, ...extra,
  });
}

export const USAGE = { promptTokens: 1200, completionTokens: 340, reasoningTokens: 256, cachedTokens: 0 };
