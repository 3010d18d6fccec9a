// Agent mode in real VS Code: the Agent toggle; a command approval asked inline in the panel (Allow clicked
// there, the command's output in its step); the same approval with the side bar hidden meanwhile: asked in a
// notification instead, answered there, the panel shows the answer once back; then the scripted model's multi-file proposal, reviewed in the
// extension's diff review: Discarded once (files on disk unchanged), then asked again and Accepted, then saved.
// Env: CS_URL, WS, ARTIFACTS, RESULT, CLIENT_DIR, SHOTS.
import fs from "node:fs";
import path from "node:path";
import { Steps, clickNotificationButton, env, findFrame, launch, openPanel, openWorkbench, runCommand } from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const ARTIFACTS = env("ARTIFACTS");
const SHOTS = env("SHOTS");
const steps = new Steps(env("RESULT"));
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** The last reply's step rows, once its turn has ended (its usage line shows). */
async function finishedRows(frame) {
  await frame.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1)?.querySelector(".usage"),
                              null, { timeout: 90000 });
  return frame.evaluate(() => {
    const reply = [...document.querySelectorAll(".message.assistant")].at(-1);
    return {
      rows: [...reply.querySelectorAll(".agent-steps details.step")].map((e) => ({
        cls: e.className, name: e.querySelector(".step-name").textContent, brief: e.querySelector(".step-brief").textContent,
        detail: e.querySelector(".step-detail").textContent })),
      reply: reply.querySelector(".body").textContent,
    };
  });
}

async function ask(frame, prompt) {
  await frame.fill("#prompt", prompt);
  await frame.click("#send");
}

/** The extension's review of the proposal: its files, then `button` (#accept or #discard) clicked. */
async function review(page, button, shot) {
  const frame = await findFrame(page, "#accept", 90000);
  await page.waitForSelector(".monaco-diff-editor", { timeout: 20000 });
  const files = await frame.$$eval(".files li", (items) => items.map((i) => i.textContent.trim()));
  if (shot) await page.screenshot({ path: path.join(ARTIFACTS, shot) });
  await frame.click(button);
  await page.waitForFunction(() => !document.querySelector(".monaco-diff-editor"), null, { timeout: 30000 });
  return files;
}

const read = (name) => fs.readFileSync(path.join(WS, name), "utf8");

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  let frame;
  await steps.step("approve", async () => {
    await openWorkbench(page, CS_URL, WS, null);
    frame = await openPanel(page);
    await frame.check("#agent");
    await ask(frame, "Show the files in src");
    // asked inline, under the run_command step, not as a notification
    await frame.waitForSelector(".agent-steps .approval .approval-allow", { timeout: 90000 });
    const shown = await frame.evaluate(() => {
      const box = document.querySelector(".agent-steps .approval");
      return { question: box.querySelector(".approval-question").textContent,
               subject: box.querySelector(".approval-subject").textContent,
               step: box.parentElement.querySelector("details.step").dataset.name,
               buttons: [...box.querySelectorAll("button")].map((b) => b.textContent) };
    });
    const toasts = await page.locator(".notifications-toasts .notification-toast", { hasText: "wants to run" }).count();
    const shot = path.join(SHOTS, "agent-approval.png");
    await page.locator(".part.sidebar").first().screenshot({ path: shot });
    await frame.click(".agent-steps .approval .approval-allow");
    const outcome = await frame.textContent(".agent-steps .approval .approval-outcome");
    const done = await finishedRows(frame);
    await page.locator(".part.sidebar").first().screenshot({ path: path.join(SHOTS, "agent-approval-allowed.png") });
    return { shown, toasts, outcome, ...done, screenshot: shot };
  });

  await steps.step("hidden", async () => {
    await ask(frame, "Show the files in src once more");
    await frame.waitForSelector(".agent-steps .approval .approval-allow", { timeout: 90000 });
    await runCommand(page, "View: Toggle Primary Side Bar Visibility"); // nobody sees the panel now
    await page.waitForSelector(".part.sidebar", { state: "hidden", timeout: 20000 });
    await clickNotificationButton(page, "ChatLS agent wants to run: ls src", "Run", 30000);
    await runCommand(page, "View: Toggle Primary Side Bar Visibility");
    frame = await findFrame(page, "#send");
    const done = await finishedRows(frame);
    const outcome = await frame.evaluate(() =>
      [...document.querySelectorAll(".message.assistant")].at(-1).querySelector(".approval").className);
    return { ...done, outcome };
  });

  await steps.step("discard", async () => {
    await ask(frame, "Add a type hint to every function in src/");
    const files = await review(page, "#discard", "agent-review-discard.png");
    const done = await finishedRows(frame);
    return { files, ...done, a: read("src/a.py"), b: read("src/b.py") };
  });

  await steps.step("review", async () => {
    await ask(frame, "Add a type hint to every function in src/, please");
    return { files: await review(page, "#accept", "agent-review.png") };
  });

  await steps.step("answer", async () => {
    const done = await finishedRows(frame);
    await runCommand(page, "File: Save All");
    const shot = path.join(SHOTS, "agent-steps.png");
    await page.locator(".part.sidebar").first().screenshot({ path: shot });
    return { ...done, screenshot: shot };
  });
} catch (error) {
  steps.results.errors.push(String(error?.stack ?? error));
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, "failure.png") }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
