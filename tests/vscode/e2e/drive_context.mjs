// Context chips in real VS Code: with data.json (a JSON syntax error, so VS Code reports a problem) the active
// editor and hello.py changed since the last commit, the user types "#hello", "#problems" and "#diff" in the
// panel, sees three chips and the budget line, and sends; then reopens the conversation to see the stored
// question's attached context.
// Env: CS_URL, WS, ARTIFACTS, RESULT, CLIENT_DIR, SHOTS.
import fs from "node:fs";
import path from "node:path";
import { Steps, env, launch, openPanel, openWorkbench } from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const ARTIFACTS = env("ARTIFACTS");
const SHOTS = env("SHOTS");
const steps = new Steps(env("RESULT"));
fs.mkdirSync(ARTIFACTS, { recursive: true });
fs.mkdirSync(SHOTS, { recursive: true });

async function quickOpen(page, name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible" });
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().click();
  await page.waitForSelector(`.tab.active[aria-label^="${name}"]`, { timeout: 20000 });
}

/** Type `#query` in the panel and pick the choice whose label is `label` (by keyboard). */
async function attach(frame, query, label) {
  await frame.type("#prompt", ` #${query}`);
  await frame.waitForSelector("#context-popup:not([hidden]) .context-choice", { timeout: 30000 });
  const labels = await frame.$$eval("#context-popup .choice-label", (els) => els.map((e) => e.textContent));
  const index = labels.indexOf(label);
  if (index < 0) throw new Error(`#${query} offered ${JSON.stringify(labels)}, not ${label}`);
  for (let i = 0; i < index; i += 1) await frame.press("#prompt", "ArrowDown");
  const detail = await frame.textContent(`#context-choice-${index} .choice-detail`).catch(() => null);
  await frame.press("#prompt", "Enter");
  return { labels, detail };
}

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  let frame;
  await steps.step("workbench", async () => {
    await openWorkbench(page, CS_URL, WS, null);
    await quickOpen(page, "data.json");
    // VS Code's JSON support reports the syntax error; #problems attaches what the editor shows
    await page.waitForFunction(() => /Errors?: [1-9]/.test(
      document.getElementById("status.problems")?.getAttribute("aria-label") ?? ""), null, { timeout: 60000 });
    frame = await openPanel(page);
    return {};
  });

  await steps.step("attach", async () => {
    await frame.click("#prompt");
    await frame.type("#prompt", "review these");
    const file = await attach(frame, "hello", "hello.py");
    const problems = await attach(frame, "problems", "#problems");
    const diff = await attach(frame, "diff", "#diff");
    const chips = await frame.$$eval("#chips .chip-label", (els) => els.map((e) => e.textContent));
    await frame.waitForFunction(() => /tokens/.test(document.getElementById("budget")?.textContent ?? ""), null,
                                { timeout: 30000 });
    const budget = await frame.textContent("#budget");
    const file1 = path.join(SHOTS, "context-chips.png");
    await page.locator(".part.sidebar").first().screenshot({ path: file1 });
    return { file, problems, diff, chips, budget, prompt: await frame.inputValue("#prompt"), screenshot: file1 };
  });

  await steps.step("send", async () => {
    await frame.click("#send");
    await frame.waitForFunction(() => [...document.querySelectorAll(".message.assistant")].at(-1)?.querySelector(".usage"),
                                null, { timeout: 60000 });
    const reply = await frame.evaluate(() => [...document.querySelectorAll(".message.assistant .body")].at(-1).textContent);
    const labels = await frame.textContent(".message.user .attached-labels");
    const chipsLeft = await frame.$$eval("#chips .chip", (els) => els.length);
    return { reply, labels, chipsLeft };
  });

  await steps.step("stored", async () => {
    await frame.click("#history > summary");
    await frame.click("#conversation-list li .open");
    await frame.waitForSelector(".message.user details.attached", { timeout: 30000 });
    const attached = await frame.textContent(".message.user details.attached pre");
    return { attached };
  });
} catch (error) {
  steps.results.errors.push(String(error?.stack ?? error));
  if (page) await page.screenshot({ path: path.join(ARTIFACTS, "failure.png") }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
