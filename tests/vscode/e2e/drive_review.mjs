// The edit review, per-profile keys and code actions on the picked profile, in real VS Code (code-server):
// an edit streams into the progress notification, opens as a diff with the model's explanation beside it;
// Discard leaves the file alone and says nothing; Accept (keyboard) applies it; generated tests in a new file
// are reviewed and saved on Accept; the profile picked in the status bar is the one code actions use; a
// profile without a key of its own never borrows another's; Clear API Key stops a profile at once.
// Env: CS_URL, WS, KEY_ALPHA, KEY_BETA, EMU_CONTROL, ARTIFACTS, RESULT, CLIENT_DIR.
import fs from "node:fs";
import path from "node:path";
import {
  Steps, editorText, emulator as control, env, findFrame, launch, openWorkbench, runCommand, waitUntil,
} from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const EMU_CONTROL = env("EMU_CONTROL");
const ARTIFACTS = env("ARTIFACTS");
const steps = new Steps(env("RESULT"));
const step = (name, fn) => steps.step(name, fn);
fs.mkdirSync(ARTIFACTS, { recursive: true });

async function requests() {
  const response = await fetch(`${EMU_CONTROL}/requests`);
  const body = await response.json();
  return (Array.isArray(body) ? body : body.requests ?? []).filter((r) => /\/(chat\/completions|responses)$/.test(r.path));
}

/** Wait until the emulator has answered a request to `deployment` beyond the first `seen`; returns it. */
async function nextRequest(deployment, seen, timeoutMs = 60000) {
  return waitUntil(async () => {
    const matching = (await requests()).filter((r) => r.path.includes(`/deployments/${deployment}/`) && r.status !== null);
    return matching.length > seen ? matching[seen] : null;
  }, `an answered request to ${deployment}`, timeoutMs);
}

async function countRequests(deployment) {
  return (await requests()).filter((r) => r.path.includes(`/deployments/${deployment}/`)).length;
}

async function setTheme(page, theme, cssClass) {
  await runCommand(page, "Preferences: Color Theme");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.fill(theme);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: theme }).first().click();
  await page.waitForSelector(`.monaco-workbench.${cssClass}`, { timeout: 30000 });
}

/** The messages of the notification toasts now on screen. */
async function toastMessages(page) {
  return page.$$eval(".notifications-toasts .notification-toast .notification-list-item-message", (m) => m.map((x) => x.textContent));
}

/** The action's progress notification (its title is the server's: "ChatLS: Edit selection"). */
function progressToast(page) {
  return page.locator(".notifications-toasts .notification-toast", { hasText: "ChatLS: Edit selection" }).first();
}

async function setApiKey(page, profile, key) {
  await runCommand(page, "ChatLS: Set API Key");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: profile }).first().click();
  await page.waitForFunction(() => document.querySelector(".quick-input-widget .quick-input-box input")?.type === "password", null, { timeout: 10000 });
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.fill(key);
  await input.press("Enter");
  await page.locator(".notifications-toasts", { hasText: `API key for '${profile}' saved` }).waitFor({ timeout: 15000 });
}

async function pickProfile(page, from, to) {
  await page.locator(".statusbar-item", { hasText: from }).first().click();
  await page.locator(".quick-input-list .monaco-list-row", { hasText: to }).first().click();
  await page.locator(".statusbar-item", { hasText: to }).first().waitFor({ timeout: 10000 });
}

async function openFile(page, name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().click();
  await page.waitForSelector(".editor-instance .view-lines .view-line", { timeout: 20000 });
}

/** Select the whole active editor and run the light-bulb action titled `title`. */
async function codeAction(page, title, instruction) {
  const action = page.locator(".action-widget .monaco-list-row", { hasText: title }).first();
  // the light bulb's actions come from the server once it has the selection: ask until they are there
  for (let attempt = 1; ; attempt++) {
    await page.locator(".editor-instance .view-lines").first().click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Control+.");
    try {
      await action.waitFor({ timeout: 8000 });
      break;
    } catch (error) {
      if (attempt === 4) throw error;
      await page.keyboard.press("Escape"); // closes the widget (and the selection: made again above)
    }
  }
  await action.click();
  if (instruction) {
    const box = page.locator(".quick-input-widget .quick-input-box input");
    await box.waitFor({ state: "visible", timeout: 10000 });
    await box.fill(instruction);
    await box.press("Enter");
  }
}

async function dismissToasts(page) {
  await runCommand(page, "Notifications: Clear All Notifications").catch(() => undefined);
}

/** The review: its webview frame (Accept/Discard, explanation) once the diff is open beside it. */
async function openReview(page) {
  const frame = await findFrame(page, "#accept", 90000);
  await page.waitForSelector(".monaco-diff-editor", { timeout: 20000 });
  const explanation = (await frame.textContent(".explanation")).trim();
  const heading = (await frame.textContent("h1")).trim();
  const files = await frame.$$eval(".files li", (items) => items.map((i) => i.textContent.trim()));
  return { frame, explanation, heading, files };
}

async function reviewClosed(page, timeout = 20000) {
  await page.waitForFunction(() => !document.querySelector(".monaco-diff-editor"), null, { timeout });
}

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.on("pageerror", (e) => steps.results.errors.push(String(e.message).slice(0, 200)));

  await step("workbench", async () => {
    await openWorkbench(page, CS_URL, WS, '.statusbar-item:has-text("alpha")');
    // the (empty) secondary side bar VS Code opens by default only takes room from the review
    if (await page.locator(".part.auxiliarybar").isVisible()) await runCommand(page, "View: Toggle Secondary Side Bar Visibility");
    return {};
  });

  await step("keys", async () => {
    await setApiKey(page, "alpha", env("KEY_ALPHA"));
    await setApiKey(page, "beta", env("KEY_BETA"));
    await dismissToasts(page);
    return {};
  });

  await step("discard", async () => {
    await openFile(page, "hello.py");
    const before = await editorText(page);
    await control(EMU_CONTROL, "/timing", { tokens_per_second: 6 });
    let progress;
    try {
      await codeAction(page, "Edit with instruction", "add type hints");
      // the reply arrives in the progress notification as text, not as a count of characters
      const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /type hints|def add/ }).first();
      await toast.waitFor({ timeout: 60000 });
      progress = (await toast.locator(".notification-list-item-message").first().textContent()).trim();
      await page.screenshot({ path: path.join(ARTIFACTS, "edit-streaming.png") });
    } finally {
      await control(EMU_CONTROL, "/timing", { tokens_per_second: 0 });
    }
    const review = await openReview(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "review-light.png") });
    const proposed = await page.$$eval(".monaco-diff-editor .editor.modified .view-line", (l) => l.map((x) => x.textContent.replace(/\u00a0/g, " ")).join("\n"));
    await review.frame.click("#discard");
    await reviewClosed(page);
    // the command ends once the server has its answer: the progress notification goes away
    await progressToast(page).waitFor({ state: "hidden", timeout: 30000 });
    const after = await editorText(page);
    const warnings = await toastMessages(page);
    return { before, after, progress, proposed, explanation: review.explanation, heading: review.heading, files: review.files, warnings };
  });

  await step("acceptWithKeyboardOnPickedProfile", async () => {
    await pickProfile(page, "alpha", "beta");
    await setTheme(page, "Dark Modern", "vs-dark");
    const seen = await countRequests("gpt-4o-mini");
    await page.locator(".tabs-container .tab", { hasText: "hello.py" }).first().click();
    await codeAction(page, "Edit with instruction", "add type hints");
    const review = await openReview(page);
    const request = await nextRequest("gpt-4o-mini", seen);
    await page.screenshot({ path: path.join(ARTIFACTS, "review-dark.png") });
    // keyboard: focus the proposed side of the diff, Ctrl+Enter accepts
    await page.locator(".monaco-diff-editor .editor.modified .view-lines").first().click();
    await page.keyboard.press("Control+Enter");
    let keyboardAccepted = true;
    try {
      await reviewClosed(page, 10000);
    } catch {
      // recorded (the test fails on it); the title-bar button finishes the step so later steps still run
      keyboardAccepted = false;
      await page.screenshot({ path: path.join(ARTIFACTS, "keyboard-accept-failed.png") });
      await page.locator('.editor-actions .action-label[aria-label^="Accept Proposed Edit"]').first().click();
      await reviewClosed(page);
    }
    await page.waitForFunction(() => [...document.querySelectorAll(".editor-instance .view-lines .view-line")]
      .some((l) => l.textContent.replace(/\u00a0/g, " ").includes("a: int")), null, { timeout: 20000 });
    const text = await editorText(page);
    await page.keyboard.press("Control+S");
    await setTheme(page, "Light Modern", "vs");
    return { text, keyboardAccepted, requestPath: request.path, requestStatus: request.status, explanation: review.explanation };
  });

  await step("generateTestsCreatesFile", async () => {
    await page.locator(".tabs-container .tab", { hasText: "hello.py" }).first().click();
    await codeAction(page, "Generate tests");
    const review = await openReview(page);
    await page.screenshot({ path: path.join(ARTIFACTS, "review-new-file.png") });
    await review.frame.click("#accept");
    await reviewClosed(page);
    await page.locator(".tabs-container .tab", { hasText: "test_hello.py" }).first().waitFor({ timeout: 20000 });
    return { files: review.files, heading: review.heading };
  });

  await step("noBorrowedKey", async () => {
    // 'gamma' has no key of its own; it shares the default variable with the others
    await pickProfile(page, "beta", "gamma");
    const before = await countRequests("gpt-4.1");
    await page.locator(".tabs-container .tab", { hasText: "hello.py" }).first().click();
    await codeAction(page, "Edit with instruction", "add type hints");
    // the server refuses locally: it knows the profile has no key (nothing it could send would work)
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "No API key for profile 'gamma'" }).first();
    await toast.waitFor({ timeout: 60000 });
    const message = (await toast.locator(".notification-list-item-message").first().textContent()).trim();
    const buttons = await toast.locator(".monaco-button").allTextContents();
    await page.screenshot({ path: path.join(ARTIFACTS, "no-key-error.png") });
    const requests = (await countRequests("gpt-4.1")) - before;
    await dismissToasts(page);
    return { message, buttons, requests };
  });

  await step("clearKey", async () => {
    await pickProfile(page, "gamma", "beta");
    await runCommand(page, "ChatLS: Clear API Key");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "beta" }).first().click();
    const message = await page.locator(".notifications-toasts .notification-toast", { hasText: "API key for 'beta' cleared" }).first().textContent();
    const before = await countRequests("gpt-4o-mini");
    await page.locator(".tabs-container .tab", { hasText: "hello.py" }).first().click();
    await codeAction(page, "Edit with instruction", "add type hints");
    const refused = page.locator(".notifications-toasts .notification-toast", { hasText: "No API key for profile 'beta'" }).first();
    await refused.waitFor({ timeout: 60000 });
    return { message, refused: (await refused.textContent()).trim(), requests: (await countRequests("gpt-4o-mini")) - before };
  });

  await step("noWarningEver", async () => {
    // every notification of the session, from the notification centre: Discard never warned
    await runCommand(page, "Notifications: Show Notifications");
    await page.waitForSelector(".notifications-center", { timeout: 10000 });
    const all = await page.$$eval(".notifications-center .notification-list-item-message", (m) => m.map((x) => x.textContent));
    return { all };
  });

  await step("settingsUi", async () => {
    await page.keyboard.press("Escape");
    await runCommand(page, "Preferences: Open Settings (UI)");
    await page.waitForSelector(".settings-editor .suggest-input-container", { timeout: 20000 });
    // The settings list is virtual: with thirty settings, only those in view are in the DOM, so each
    // setting checked here is searched for by name rather than scrolled to.
    const search = async (query) => {
      await page.locator(".settings-editor .suggest-input-container").first().click();
      await page.keyboard.press("Control+A");
      await page.keyboard.type(query);
    };
    await search("@ext:chatls.chatls context lines");
    await page.locator(".settings-editor .setting-item-contents .setting-item-title", { hasText: "Context Lines" }).first().waitFor({ timeout: 20000 });
    const titles = await page.$$eval(".settings-editor .setting-item-contents .setting-item-title",
      (t) => t.map((x) => x.textContent.trim()).filter(Boolean));
    await search("@ext:chatls.chatls log level");
    const logLevel = page.locator(".settings-editor .setting-item-contents", { hasText: "Log Level" }).first();
    await logLevel.waitFor({ timeout: 20000 });
    await logLevel.scrollIntoViewIfNeeded();
    const choices = await logLevel.locator("select option").allTextContents().catch(() => []);
    await page.screenshot({ path: path.join(ARTIFACTS, "settings.png") });
    return { titles, choices };
  });
} catch (error) {
  steps.results.errors.push(String(error?.message ?? error));
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, "review-failure.png") }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
