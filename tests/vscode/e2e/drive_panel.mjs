// The chat panel in real VS Code, first run: no profile -> the guided set-up writes the settings and the key
// (a wrong one first), the 401 error box wraps at the default side-bar width and its "Set API Key" button runs
// the command, Retry then answers, and the conversation list shows the conversation with its date.
// Env: CS_URL, WS, ARTIFACTS, RESULT, CLIENT_DIR, EMU_URL, API_KEY, SHOTS (where the README screenshots go).
import fs from "node:fs";
import path from "node:path";
import { Steps, env, findFrame, launch, openWorkbench } from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const ARTIFACTS = env("ARTIFACTS");
const SHOTS = env("SHOTS");
const EMU_URL = env("EMU_URL");
const API_KEY = env("API_KEY");
const THEME = env("THEME");
const steps = new Steps(env("RESULT"));
fs.mkdirSync(ARTIFACTS, { recursive: true });
fs.mkdirSync(SHOTS, { recursive: true });

/** The side bar as the user sees it, saved for the README and as an artifact. */
async function sidebarShot(page, name) {
  const file = path.join(SHOTS, `${name}-${THEME}.png`);
  await page.locator(".part.sidebar").first().screenshot({ path: file });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${THEME}-window.png`) });
  return file;
}

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();

  let frame;
  await steps.step("guidedSetup", async () => {
    await openWorkbench(page, CS_URL, WS, null);
    await page.locator('.activitybar .action-item .action-label[aria-label^="ChatLS"]').first().click();
    await page.mouse.move(900, 450); // away from the activity bar: its tooltip must not cover the form
    frame = await findFrame(page, "#setup", 60000);
    await frame.waitForSelector("#setup:not([hidden])", { timeout: 60000 });
    const composerHidden = !(await frame.isVisible("#prompt"));
    await frame.fill("#setup input[name=endpoint]", EMU_URL);
    await frame.fill("#setup input[name=deployment]", "o4-mini"); // a reasoning model with summaries
    await frame.fill("#setup input[name=apiKey]", "wrong-key-0000");
    await page.waitForFunction(() => ![...document.querySelectorAll(".workbench-hover-container, .monaco-hover")]
      .some((h) => h.getBoundingClientRect().width > 0), null, { timeout: 10000 }).catch(() => undefined);
    const screenshot = await sidebarShot(page, "guided-setup");
    await frame.click("#setup button[type=submit]");
    // the settings change restarts the server; the panel becomes the chat once the profile is in
    await frame.waitForSelector("#setup", { state: "hidden", timeout: 90000 });
    await frame.waitForFunction(() => document.querySelectorAll("#profile option").length > 0, null, { timeout: 60000 });
    const profiles = await frame.$$eval("#profile option", (o) => o.map((x) => x.value));
    return { composerHidden, profiles, screenshot };
  });

  await steps.step("errorActions", async () => {
    await frame.fill("#prompt", "hello panel");
    await frame.click("#send");
    await frame.waitForSelector(".error .retry", { timeout: 60000 });
    const message = (await frame.textContent(".error .error-text")).trim();
    const buttons = await frame.$$eval(".error .error-actions button", (b) => b.map((x) => x.textContent));
    const fits = await frame.evaluate(() => {
      const box = document.querySelector(".error");
      const right = Math.max(...[...box.querySelectorAll("button")].map((b) => b.getBoundingClientRect().right));
      return { scroll: box.scrollWidth, client: box.clientWidth, buttonsRight: right, width: window.innerWidth };
    });
    const screenshot = await sidebarShot(page, "error-actions");
    return { message, buttons, fits, screenshot };
  });

  await steps.step("setApiKeyButton", async () => {
    await frame.click(".error .action-setApiKey");
    const pick = page.locator(".quick-input-list .monaco-list-row", { hasText: "default" }).first();
    await pick.waitFor({ timeout: 15000 });
    await pick.click();
    await page.waitForFunction(() => document.querySelector(".quick-input-widget .quick-input-box input")?.type === "password", null, { timeout: 10000 });
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.fill(API_KEY);
    await input.press("Enter");
    await page.locator(".notifications-toasts", { hasText: "API key for 'default' saved" }).waitFor({ timeout: 15000 });
    return {};
  });

  await steps.step("retry", async () => {
    await frame.click(".error .retry");
    await frame.waitForFunction(() => {
      const last = [...document.querySelectorAll(".message.assistant")].at(-1);
      return last && !last.classList.contains("streaming") && last.querySelector(".usage");
    }, null, { timeout: 60000 });
    const replies = await frame.$$eval(".message.assistant", (m) => m.length);
    const failedStubs = await frame.$$eval(".message.assistant.failed", (m) => m.length);
    const reply = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
    const buttons = await frame.$$eval(".message.assistant .code-actions button", (b) => b.map((x) => x.textContent));
    const screenshot = await sidebarShot(page, "chat-code-block");
    // the model's reasoning summary streamed into the Thinking block, folded once the answer began
    const thinking = await frame.evaluate(() => {
      const block = [...document.querySelectorAll(".message.assistant")].at(-1).querySelector("details.thinking");
      return block ? { open: block.open, summary: block.querySelector("summary").textContent,
                       text: block.querySelector(".thinking-body").textContent.trim() } : null;
    });
    if (thinking) {
      await frame.click(".message.assistant >> nth=-1 >> details.thinking > summary");
    }
    const thinkingShot = thinking ? await sidebarShot(page, "thinking-block") : null;
    return { replies, failedStubs, reply, buttons, screenshot, thinking, thinkingShot };
  });

  await steps.step("conversationList", async () => {
    await frame.click("#history summary");
    await frame.waitForSelector("#conversation-list li[data-id]", { timeout: 15000 });
    const items = await frame.$$eval("#conversation-list li[data-id]", (l) => l.map((x) => ({
      title: x.querySelector(".title").textContent, date: x.querySelector(".date").textContent })));
    const fits = await frame.$eval("#conversation-list", (l) => l.scrollWidth <= l.clientWidth);
    const screenshot = await sidebarShot(page, "conversation-list");
    await frame.click("#history summary");
    return { items, fits, screenshot };
  });

} catch (error) {
  steps.results.errors.push(String(error?.message ?? error));
  if (page) await page.screenshot({ path: `${ARTIFACTS}/panel-failure.png` }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
