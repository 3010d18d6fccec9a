// Drives real VS Code (code-server) in headless Debian chromium through the ChatLS extension:
// API keys via the palette (one per profile), chat panel round-trip, Stop mid-stream, a light-bulb code action
// accepted in the edit review, a window reload that restores the conversation, a reasoning profile, Stop before any
// content, the status-bar profile switch, Copy, Export, Delete, a settings change and "Restart Server".
// Env: CS_URL, WS (workspace folder), API_KEY, EMU_CONTROL (emulator control URL), ARTIFACTS (dir),
//      RESULT (JSON file written at the end), CLIENT_DIR (vscode-client, for playwright-core),
//      LOGS (code-server's logs folder: the extension's ChatLS.log files are counted for server starts).
import path from "node:path";
import fs from "node:fs";
import {
  Steps, editorText, emulator as control, env, findFrame, launch, openPanel, openWorkbench, panelShot, runCommand,
  waitUntil,
} from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const API_KEY = env("API_KEY");
const EMU_CONTROL = env("EMU_CONTROL");
const ARTIFACTS = env("ARTIFACTS");
const LOGS = env("LOGS");
const steps = new Steps(env("RESULT"));
const results = steps.results;
const step = (name, fn) => steps.step(name, fn);
const emulator = (pathName, body) => control(EMU_CONTROL, pathName, body);
const shot = (page, name) => panelShot(page, ARTIFACTS, name);
const READY = '.statusbar-item:has-text("emulator")';
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** Server launches the extension logged so far (one "starting … (from …)" line per start). */
function serverStarts() {
  let count = 0;
  for (const entry of fs.readdirSync(LOGS, { recursive: true })) {
    if (String(entry).endsWith("ChatLS.log")) {
      const text = fs.readFileSync(path.join(LOGS, String(entry)), "utf8");
      count += (text.match(/ starting \S+ .*\(from chatls\.server\.pythonPath\)/g) ?? []).length;
    }
  }
  return count;
}

async function setApiKey(profile) {
  await runCommand(page, "ChatLS: Set API Key");
  const pick = page.locator(".quick-input-list .monaco-list-row", { hasText: profile }).first();
  await pick.waitFor({ timeout: 10000 });
  await pick.click();
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await page.waitForFunction(() => document.querySelector(".quick-input-widget .quick-input-box input")?.type === "password", null, { timeout: 10000 });
  await input.fill(API_KEY);
  await input.press("Enter");
  await page.locator(".notifications-toasts", { hasText: `API key for '${profile}' saved` }).waitFor({ timeout: 15000 });
}

async function listed(view) {
  return view.$$eval("#conversation-list li button.open", (b) => b.map((x) => x.textContent));
}

/** Open the conversation whose title contains `title` from the panel's list; returns the panel's frame. */
async function openConversation(title) {
  const view = await findFrame(page, "#send");
  if (!(await view.evaluate(() => document.getElementById("history").open))) await view.click("#history summary");
  await view.locator("#conversation-list li button.open", { hasText: title }).first().click();
  await view.waitForFunction((t) => document.querySelector(".message.user .body")?.textContent.includes(t), title, { timeout: 20000 });
  return view;
}

/** Send a message in a new conversation and return the reply's usage line. */
async function chat(view, prompt) {
  await view.click("#new");
  await view.fill("#prompt", prompt);
  await view.click("#send");
  await view.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1)?.querySelector(".usage"), null, { timeout: 60000 });
  return view.evaluate(() => [...document.querySelectorAll(".message.assistant .usage")].at(-1).textContent);
}

const browser = await launch();
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: CS_URL });
  page = await context.newPage();
  page.on("pageerror", (e) => results.errors.push(String(e.message).slice(0, 200)));

  await step("workbench", async () => {
    await openWorkbench(page, CS_URL, WS, READY);
    return { seconds: (Date.now() - steps.t0) / 1000 };
  });

  await step("traceLogLevel", async () => {
    // vscode-languageclient traces LSP messages only while the channel's level is Trace: turn it on so the
    // canary check also covers the message trace
    await runCommand(page, "Developer: Set Log Level...");
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.fill("ChatLS");
    const channel = page.locator(".quick-input-list .monaco-list-row", { hasText: "ChatLS" }).first();
    await channel.waitFor({ timeout: 10000 });
    await channel.click();
    const trace = page.locator(".quick-input-list .monaco-list-row", { hasText: /^Trace/ }).first();
    await trace.waitFor({ timeout: 10000 });
    await trace.click();
    return {};
  });

  await step("setApiKey", async () => {
    // keys are per profile: a profile never borrows another's (test_review_flow.py checks that)
    for (const profile of ["emulator", "thinker"]) {
      await setApiKey(profile);
    }
    return {};
  });

  let frame;
  await step("chat", async () => {
    frame = await openPanel(page);
    await frame.fill("#prompt", "hello panel");
    await frame.click("#send");
    await frame.waitForSelector(".message.assistant .usage", { timeout: 60000 });
    const reply = await frame.textContent(".message.assistant .body");
    const strong = await frame.textContent(".message.assistant .body strong").catch(() => null);
    const codeButtons = await frame.$$eval(".message.assistant .code-block .code-insert", (b) => b.length);
    const usage = await frame.textContent(".message.assistant .usage");
    const screenshot = await shot(page, "chat-panel");
    return { reply, strong, codeButtons, usage, screenshot };
  });

  await step("errorRetry", async () => {
    await emulator("/faults", { kind: "content_filter_prompt", count: 1 });
    await frame.fill("#prompt", "hello again");
    await frame.click("#send");
    await frame.waitForSelector(".error .retry", { timeout: 30000 });
    const message = await frame.textContent(".error .error-text");
    await shot(page, "error");
    await frame.click(".error .retry");
    await frame.waitForFunction(() => {
      const last = [...document.querySelectorAll(".message.assistant")].at(-1);
      return last && !last.classList.contains("streaming") && last.querySelector(".usage");
    }, null, { timeout: 30000 });
    const reply = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
    const errorsLeft = await frame.$$eval(".error .retry", (e) => e.length);
    const users = await frame.$$eval(".message.user .body", (b) => b.map((x) => x.textContent));
    return { message, reply, errorsLeft, users };
  });

  await step("stop", async () => {
    await emulator("/timing", { tokens_per_second: 4 });
    try {
      await frame.fill("#prompt", "tell me a long story");
      await frame.click("#send");
      await frame.waitForFunction(() => {
        const streaming = document.querySelector(".message.assistant.streaming .body");
        return streaming !== null && streaming.textContent.trim().length > 0;
      }, null, { timeout: 60000 });
      const streamingSeen = await frame.$(".message.assistant.streaming") !== null;
      await frame.click("#stop");
      await frame.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1).querySelector(".tag"), null, { timeout: 30000 });
      const tag = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant")].at(-1).querySelector(".tag")?.textContent);
      const partial = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
      const sendVisible = await frame.isVisible("#send");
      await shot(page, "stopped");
      return { streamingSeen, tag, partial, sendVisible };
    } finally {
      await emulator("/timing", { tokens_per_second: 0 });
    }
  });

  await step("codeAction", async () => {
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible" });
    await input.fill("hello.py");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "hello.py" }).first().click();
    await page.waitForSelector(".editor-instance .view-lines .view-line", { timeout: 20000 });
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+A");
    await page.locator(".editor-instance .selected-text").first().waitFor({ timeout: 10000 });
    await page.keyboard.press("Control+.");
    const action = page.locator(".action-widget .monaco-list-row", { hasText: "Edit with instruction" }).first();
    await action.waitFor({ timeout: 20000 });
    const offered = await page.$$eval(".action-widget .monaco-list-row", (rows) => rows.map((r) => r.textContent.trim()));
    await action.click();
    const box = page.locator(".quick-input-widget .quick-input-box input");
    await box.waitFor({ state: "visible", timeout: 10000 });
    await box.fill("add type hints");
    await box.press("Enter");
    // the server's edit needs confirmation: the extension's review (diff + explanation with Accept)
    const review = await findFrame(page, "#accept", 60000);
    await page.waitForSelector(".monaco-diff-editor", { timeout: 20000 });
    await page.screenshot({ path: path.join(ARTIFACTS, "review.png") });
    await review.click("#accept");
    // Accept closes the review's diff; until it has gone, its sides are editors too (and take the clicks below)
    await page.waitForSelector(".monaco-diff-editor", { state: "detached", timeout: 20000 });
    await page.waitForFunction(() => [...document.querySelectorAll(".editor-instance .view-lines .view-line")]
      .some((l) => l.textContent.replace(/\u00a0/g, " ").includes("a: int")), null, { timeout: 20000 });
    const text = await editorText(page);
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+S");
    await page.waitForFunction(() => !document.querySelector(".tabs-container .tab.dirty"), null, { timeout: 20000 });
    return { offered, text };
  });

  await step("explain", async () => {
    // the first try fails upstream: the panel's Retry asks the stored question again (not the panel's label)
    await emulator("/faults", { kind: "content_filter_prompt", count: 1 });
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+A");
    await page.locator(".editor-instance .selected-text").first().waitFor({ timeout: 10000 });
    await page.keyboard.press("Control+.");
    const action = page.locator(".action-widget .monaco-list-row", { hasText: "ChatLS: Explain" }).first();
    await action.waitFor({ timeout: 20000 });
    await action.click();
    // the chat panel opens and shows the action's turn, then the stored conversation it belongs to
    const view = await findFrame(page, "#send");
    await view.waitForSelector(".error .retry", { timeout: 30000 });
    const failure = await view.textContent(".error .error-text");
    await view.click(".error .retry");
    await view.waitForFunction(() => [...document.querySelectorAll(".message.assistant .body strong")]
      .some((s) => s.textContent === "adds"), null, { timeout: 30000 });
    await view.waitForSelector("#send", { state: "visible", timeout: 30000 });
    const users = await view.$$eval(".message.user .body", (b) => b.map((x) => x.textContent));
    await shot(page, "explain");
    // back to the first conversation through the list (what the reload must bring back)
    await view.click("#history summary");
    const entry = view.locator("#conversation-list li button.open", { hasText: "hello panel" }).first();
    await entry.click();
    await view.waitForFunction(() => document.querySelector(".message.user .body")?.textContent === "hello panel", null, { timeout: 20000 });
    // Insert puts a reply's code block at the cursor of the editor
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+End");
    await view.click(".message.assistant .code-block .code-insert");
    await page.waitForFunction(() => [...document.querySelectorAll(".editor-instance .view-lines .view-line")]
      .some((l) => l.textContent.includes("print('hi')")), null, { timeout: 20000 });
    const inserted = await editorText(page);
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+Z"); // back to the saved text, so the reload finds a clean editor
    return { users, inserted, failure };
  });

  await step("reload", async () => {
    const reloaded = page.waitForEvent("load", { timeout: 60000 }); // armed first: the reload may be quick
    await runCommand(page, "Developer: Reload Window");
    await reloaded;
    await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
    await page.waitForSelector(READY, { timeout: 60000 });
    const restored = await findFrame(page, "#send").catch(async () => openPanel(page));
    await restored.waitForSelector(".message.user", { timeout: 30000 });
    const users = await restored.$$eval(".message.user .body", (b) => b.map((x) => x.textContent));
    const tags = await restored.$$eval(".message.assistant .tag", (b) => b.map((x) => x.textContent));
    await restored.click("#history summary");
    const listed = await restored.$$eval("#conversation-list li button.open", (b) => b.map((x) => x.textContent));
    await shot(page, "restored");
    return { users, tags, listed };
  });
  await step("reasoning", async () => {
    const view = await findFrame(page, "#send");
    await view.click("#new");
    const effortHiddenBefore = !(await view.isVisible("#effort"));
    await view.selectOption("#profile", "thinker");
    await view.waitForSelector("#effort", { state: "visible", timeout: 10000 });
    const efforts = await view.$$eval("#effort option", (o) => o.map((x) => x.value));
    await view.selectOption("#effort", "high");
    await emulator("/timing", { deployment: "o1", thinking_time: 3 });
    await view.fill("#prompt", "think about it");
    await view.click("#send");
    // a model that cannot stream: the status line shows the thinking time until the reply arrives
    await view.waitForFunction(() => /thinking/i.test([...document.querySelectorAll(".message.assistant .turn-status")].at(-1).textContent), null, { timeout: 30000 });
    const status = await view.textContent(".message.assistant >> nth=-1 >> .turn-status");
    await shot(page, "thinking");
    await view.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1)?.querySelector(".usage"), null, { timeout: 60000 });
    const usage = await view.evaluate(() => [...document.querySelectorAll(".message.assistant .usage")].at(-1).textContent);
    const notes = await view.$$eval("#notes .note", (n) => n.map((x) => x.textContent));
    const statusHidden = !(await view.isVisible(".message.assistant >> nth=-1 >> .turn-status"));
    const statusBar = await page.locator(".statusbar-item", { hasText: "thinker" }).count();
    return { effortHiddenBefore, efforts, status, usage, notes, statusHidden, statusBar };
  });

  await step("stopBeforeContent", async () => {
    // the server names the reply in a first status delta, before the model says anything: Stop works then too
    const view = await findFrame(page, "#send");
    await emulator("/timing", { deployment: "o1", thinking_time: 60 });
    try {
      await view.fill("#prompt", "ponder forever");
      await view.click("#send");
      await view.waitForSelector(".message.assistant >> nth=-1 >> .turn-status:not([hidden])", { timeout: 30000 });
      await view.waitForFunction(() => !/waiting for the model/.test([...document.querySelectorAll(".message.assistant .turn-status")].at(-1).textContent), null, { timeout: 30000 });
      const status = await view.textContent(".message.assistant >> nth=-1 >> .turn-status");
      const content = await view.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
      await view.click("#stop");
      await view.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1).querySelector(".tag"), null, { timeout: 30000 });
      const tag = await view.evaluate(() => [...document.querySelectorAll(".message.assistant .tag")].at(-1).textContent);
      return { status, content, tag, sendVisible: await view.isVisible("#send") };
    } finally {
      await emulator("/timing", { deployment: "o1", thinking_time: 0 });
    }
  });

  await step("statusBarSwitch", async () => {
    await page.locator(".statusbar-item", { hasText: "thinker" }).first().click();
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "emulator" }).first();
    await row.waitFor({ timeout: 10000 });
    const offered = await page.$$eval(".quick-input-list .monaco-list-row", (r) => r.map((x) => x.textContent.trim()));
    await row.click();
    const view = await findFrame(page, "#send");
    await view.waitForFunction(() => document.getElementById("profile").value === "emulator", null, { timeout: 10000 });
    await page.locator(".statusbar-item", { hasText: "emulator" }).first().waitFor({ timeout: 10000 });
    return { offered, effortHidden: !(await view.isVisible("#effort")) };
  });

  await step("copy", async () => {
    const view = await openConversation("hello panel");
    await view.click(".message.assistant .code-block .code-copy");
    await page.locator(".statusbar-item", { hasText: "code copied" }).first().waitFor({ timeout: 10000 }).catch(() => undefined);
    // what VS Code's clipboard API wrote, read back from the browser's clipboard it uses in code-server
    let clipboard = "";
    await waitUntil(async () => {
      clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `error: ${e.message}`);
      return clipboard.includes("print");
    }, "the copied code on the clipboard", 10000, 300).catch(() => undefined); // the test reports what was read
    return { clipboard };
  });

  await step("export", async () => {
    const view = await findFrame(page, "#send");
    await view.click("#export");
    // code-server's save dialog is VS Code's simple file dialog: a quick input holding the proposed path
    const input = page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible", timeout: 10000 });
    await page.waitForFunction(() => /conversation-[^/]*\.md$/.test(document.querySelector(".quick-input-widget .quick-input-box input")?.value ?? ""), null, { timeout: 10000 });
    const proposed = await input.inputValue();
    await input.press("Enter");
    const tab = page.locator(".tabs-container .tab", { hasText: /^conversation-.*\.md/ }).first();
    await tab.waitFor({ timeout: 20000 });
    const file = (await tab.textContent()).trim().match(/conversation-[^\s]*\.md/)?.[0];
    await page.screenshot({ path: path.join(ARTIFACTS, "export-window.png") });
    return { proposed, file };
  });

  await step("delete", async () => {
    const view = await openConversation("think about it");
    const before = await listed(view);
    await view.click("#delete");
    const dialog = page.locator(".monaco-dialog-box", { hasText: "Delete this conversation?" });
    await dialog.waitFor({ timeout: 10000 });
    await dialog.locator(".monaco-button", { hasText: "Delete" }).first().click();
    await view.waitForFunction(() => document.querySelectorAll(".message").length === 0, null, { timeout: 20000 });
    await view.waitForFunction((n) => document.querySelectorAll("#conversation-list li button.open").length === n - 1,
      before.length, { timeout: 20000 });
    return { before, after: await listed(view), exportDisabled: await view.isDisabled("#export") };
  });

  await step("settingsChange", async () => {
    // a new profile made the default: the server restarts with it and the next chat goes to its deployment
    const starts = serverStarts();
    const file = path.join(WS, ".vscode", "settings.json");
    const settings = JSON.parse(fs.readFileSync(file, "utf8"));
    const base = settings["chatls.profiles"][0];
    settings["chatls.profiles"].push({ ...base, name: "mini", deployment: "gpt-4o-mini", model: "gpt-4o-mini" });
    settings["chatls.defaultProfile"] = "mini";
    fs.writeFileSync(file, JSON.stringify(settings, null, 2));
    await waitUntil(() => serverStarts() > starts, "a server restart after the settings change");
    await page.locator(".statusbar-item", { hasText: "mini" }).first().waitFor({ timeout: 30000 });
    await setApiKey("mini");
    const view = await findFrame(page, "#send");
    await view.waitForFunction(() => document.getElementById("profile").value === "mini", null, { timeout: 30000 });
    await page.locator(".statusbar-item", { hasText: "mini" }).first().waitFor({ timeout: 10000 });
    const usage = await chat(view, "hello panel");
    return { restarts: serverStarts() - starts, usage };
  });

  await step("restartServer", async () => {
    const starts = serverStarts();
    await runCommand(page, "ChatLS: Restart Server");
    await waitUntil(() => serverStarts() > starts, "a server start after 'ChatLS: Restart Server'");
    await page.waitForSelector(READY.replace("emulator", "mini"), { timeout: 30000 });
    const view = await findFrame(page, "#send");
    const usage = await chat(view, "hello after restart");
    return { restarts: serverStarts() - starts, usage };
  });
} catch (error) {
  results.errors.push(String(error?.message ?? error));
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, "failure.png") }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
