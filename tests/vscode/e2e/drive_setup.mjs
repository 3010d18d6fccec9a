// First run without a server: the extension says none was found, "Set Up Server" builds a venv in global
// storage from the wheel inside the .vsix, the server starts from it, and a chat works.
// Env: CS_URL, WS, ARTIFACTS, RESULT, CLIENT_DIR.
import fs from "node:fs";
import {
  Steps, clickNotificationButton, env, launch, openPanel, openWorkbench, panelShot, waitForNotification,
} from "./workbench.mjs";

const CS_URL = env("CS_URL");
const WS = env("WS");
const ARTIFACTS = env("ARTIFACTS");
const steps = new Steps(env("RESULT"));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const browser = await launch();
let page;
try {
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();

  await steps.step("noServer", async () => {
    await openWorkbench(page, CS_URL, WS, null);
    const message = await waitForNotification(page, "no server found", 60000);
    const status = await page.locator(".statusbar-item", { hasText: "ChatLS" }).first().textContent();
    await page.screenshot({ path: `${ARTIFACTS}/setup-no-server.png` });
    return { message, status };
  });

  await steps.step("setUp", async () => {
    await clickNotificationButton(page, "no server found", "Set Up Server");
    const message = await waitForNotification(page, "server installed", 240000);
    return { message };
  });

  await steps.step("chat", async () => {
    await page.waitForSelector('.statusbar-item:has-text("emulator")', { timeout: 60000 });
    const frame = await openPanel(page);
    await frame.fill("#prompt", "hello setup");
    await frame.click("#send");
    await frame.waitForSelector(".message.assistant .usage", { timeout: 60000 });
    const reply = await frame.textContent(".message.assistant .body");
    await panelShot(page, ARTIFACTS, "setup-chat");
    return { reply };
  });
} catch (error) {
  steps.results.errors.push(String(error?.message ?? error));
  if (page) await page.screenshot({ path: `${ARTIFACTS}/setup-failure.png` }).catch(() => undefined);
} finally {
  steps.finish();
  await browser.close();
}
