// Agent mode in real VS Code: the Agent toggle, the scripted model's tool steps shown as rows, the proposal
// reviewed in VS Code's Refactor Preview (both files ticked, Apply), then saved.
// Env: CS_URL, WS, ARTIFACTS, RESULT, CLIENT_DIR, SHOTS.
import fs from "node:fs";
import path from "node:path";
import { Steps, env, findFrame, launch, openPanel, openWorkbench, runCommand } from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const ARTIFACTS = env("ARTIFACTS");
const SHOTS = env("SHOTS");
const steps = new Steps(env("RESULT"));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  let frame;
  await steps.step("ask", async () => {
    await openWorkbench(page, CS_URL, WS, null);
    frame = await openPanel(page);
    await frame.check("#agent");
    await frame.fill("#prompt", "Add a type hint to every function in src/");
    await frame.click("#send");
    const mode = await frame.isChecked("#agent");
    return { mode };
  });

  await steps.step("review", async () => {
    // the proposal is one annotated multi-file WorkspaceEdit: the extension's review (diff + Accept/Discard)
    const review = await findFrame(page, "#accept", 90000);
    await page.waitForSelector(".monaco-diff-editor", { timeout: 20000 });
    const rows = await review.$$eval(".files li", (items) => items.map((i) => i.textContent.trim()));
    const running = await frame.$$eval(".agent-steps details.step", (els) => els.map((e) => e.className));
    await page.screenshot({ path: path.join(ARTIFACTS, "agent-review.png") });
    await review.click("#accept");
    await page.waitForFunction(() => !document.querySelector(".monaco-diff-editor"), null, { timeout: 30000 });
    return { rows, running };
  });

  await steps.step("answer", async () => {
    await frame.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1)?.querySelector(".usage"),
                                null, { timeout: 90000 });
    await runCommand(page, "File: Save All");
    const rows = await frame.$$eval(".agent-steps details.step", (els) => els.map((e) => ({
      cls: e.className, name: e.querySelector(".step-name").textContent, brief: e.querySelector(".step-brief").textContent })));
    const reply = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
    const shot = path.join(SHOTS, "agent-steps.png");
    await page.locator(".part.sidebar").first().screenshot({ path: shot });
    return { rows, reply, screenshot: shot };
  });
} catch (error) {
  steps.results.errors.push(String(error?.stack ?? error));
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, "failure.png") }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
