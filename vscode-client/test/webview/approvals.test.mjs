// The agent's approvals inline in the panel (headless chromium, production HTML, CSP and bundle): shown under
// the step that asks, answered by mouse or keyboard, gone (declined) when the server stops waiting.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDEBAR, deliverNow, init, launch, openWebview, posted } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SHOTS = process.env.CHATLS_SHOTS;
const COMMAND = { kind: "command", tool: "run_command", subject: "ls src", yes: "Run", no: "Don't run" };

/** An agent turn whose step `name` is running; returns what deltas need. */
async function agentTurn(page, name = "run_command", summary = 'run_command {"command": "ls src"}') {
  await init(page);
  await page.check("#agent");
  await page.fill("#prompt", "list src");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  const ids = { conversationId: "c1", messageId: "m2", clientToken: send.clientToken };
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "started", name, summary } });
  return { send, ids };
}

async function answers(page) {
  return (await posted(page, "approvalAnswer")).map(({ id, allow, shown }) => ({ id, allow, shown }));
}

test("a command approval shows under its step; Allow by keyboard answers and shows the outcome", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const { send, ids } = await agentTurn(page);
  await deliverNow(page, { type: "approval", id: 7, turnId: send.turnId, approval: COMMAND });
  // under the running step, with the command line as text and two buttons
  assert.equal(await page.$eval(".approval", (box) => box.parentElement.querySelector("details.step").dataset.name), "run_command");
  assert.equal(await page.textContent(".approval .approval-question"), "Run this command?");
  assert.equal(await page.textContent(".approval .approval-subject"), "ls src");
  assert.deepEqual(await page.$$eval(".approval button", (bs) => bs.map((b) => b.textContent)), ["Allow", "Deny"]);
  assert.match(await page.textContent(".message.assistant .turn-status"), /waiting for your approval/);
  // the focus is on the approval (the user was not typing), so Tab reaches Allow
  assert.equal(await page.evaluate(() => document.activeElement.className), "approval");
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/approval-inline.png` });
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Allow");
  await page.keyboard.press("Enter");
  assert.deepEqual(await answers(page), [{ id: 7, allow: true, shown: true }]);
  assert.equal(await page.textContent(".approval .approval-outcome"), "Allowed");
  assert.equal(await page.$$eval(".approval button", (bs) => bs.length), 0);
  // the step then finishes; the answer is not sent twice
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "finished", name: "run_command", summary: "ran: ls src" } });
  assert.equal(await page.getAttribute(".agent-steps details.step", "class"), "step ok");
  assert.equal((await answers(page)).length, 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("Deny by click, and Escape denies an MCP tool's approval shown under that tool's step", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const { send, ids } = await agentTurn(page);
  await deliverNow(page, { type: "approval", id: 1, turnId: send.turnId, approval: COMMAND });
  await page.click(".approval .approval-deny");
  assert.equal(await page.textContent(".approval.denied .approval-outcome"), "Denied");
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "finished", name: "run_command", summary: "declined: ls src", ok: false } });
  await deliverNow(page, { type: "delta", ...ids, step: { index: 2, phase: "started", name: "git__git_status", summary: "git__git_status {}" } });
  const tool = { kind: "tool", tool: "git__git_status", subject: '{"repo_path": "."}', yes: "Allow", no: "Deny" };
  await deliverNow(page, { type: "approval", id: 2, turnId: send.turnId, approval: tool });
  const box = page.locator(".approval").nth(1);
  assert.equal(await box.evaluate((b) => b.parentElement.querySelector("details.step").dataset.name), "git__git_status");
  assert.equal(await box.locator(".approval-question").textContent(), "Call the MCP tool git__git_status?");
  await box.locator(".approval-allow").focus();
  await page.keyboard.press("Escape");
  assert.deepEqual(await answers(page), [{ id: 1, allow: false, shown: true }, { id: 2, allow: false, shown: true }]);
  await page.close();
});

test("an approval whose step ends unanswered (server timeout) goes, shown as declined", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const { send, ids } = await agentTurn(page);
  await deliverNow(page, { type: "approval", id: 3, turnId: send.turnId, approval: COMMAND });
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "finished", name: "run_command", summary: "declined: ls src", ok: false } });
  assert.equal(await page.textContent(".approval.unanswered .approval-outcome"), "Declined: not answered in time");
  assert.equal(await page.$$eval(".approval button", (bs) => bs.length), 0);
  assert.deepEqual(await answers(page), [{ id: 3, allow: null, shown: true }]);
  await page.close();
});

test("the turn ending (Stop) settles an open approval; one answered in a notification shows that answer", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const { send } = await agentTurn(page);
  await deliverNow(page, { type: "approval", id: 4, turnId: send.turnId, approval: COMMAND });
  await deliverNow(page, { type: "approvalSettled", id: 4, outcome: "allowed" });
  assert.equal(await page.textContent(".approval.allowed .approval-outcome"), "Allowed");
  await deliverNow(page, { type: "approval", id: 5, turnId: send.turnId, approval: COMMAND });
  await deliverNow(page, { type: "turnCancelled", turnId: send.turnId });
  assert.equal(await page.locator(".approval").nth(1).getAttribute("class"), "approval answered unanswered");
  assert.deepEqual(await answers(page), [{ id: 5, allow: null, shown: true }]);
  await page.close();
});

test("an approval for a turn the panel is not showing is handed back (the extension asks natively)", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await deliverNow(page, { type: "approval", id: 9, turnId: "turn-gone", approval: COMMAND });
  assert.equal(await page.$$eval(".approval", (els) => els.length), 0);
  assert.deepEqual(await answers(page), [{ id: 9, allow: null, shown: false }]);
  await page.close();
});

test("the user typing keeps the focus; the command line is text, never markup", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const { send } = await agentTurn(page);
  await page.focus("#prompt");
  const hostile = { ...COMMAND, subject: '<img src=x onerror="window.__pwned=1"> && rm -rf /' };
  await deliverNow(page, { type: "approval", id: 6, turnId: send.turnId, approval: hostile });
  assert.equal(await page.evaluate(() => document.activeElement.id), "prompt");
  assert.equal(await page.textContent(".approval-subject"), hostile.subject);
  assert.equal(await page.$$eval(".approval img", (els) => els.length), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
});
