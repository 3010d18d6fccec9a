// The chat panel's newer behaviours in headless chromium: incremental streaming (closed blocks kept, only the
// tail redrawn, bounded fallbacks), the Thinking block, deltas paired by clientToken, error boxes with actions,
// interrupted replies, code-block actions and theme-proof code backgrounds, the conversation list, first run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDEBAR, USAGE, deliverNow, init, launch, openWebview, posted, rendered } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const LAST_REPLY = ".message.assistant >> nth=-1";

async function sendPrompt(page, text) {
  await page.fill("#prompt", text);
  await page.click("#send");
  return (await posted(page, "send")).at(-1);
}

function delta(send, fields, ids = { conversationId: "c1", messageId: "m2" }) {
  return { type: "delta", ...ids, clientToken: send.clientToken, ...fields };
}

function result(content, extra = {}) {
  return { conversationId: "c1", messageId: "m2", content, model: "gpt-4o", finishReason: "stop",
           stopReason: "complete", usage: USAGE, adaptations: [], ...extra };
}

test("streaming keeps closed blocks rendered and redraws only the open tail", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "many paragraphs");
  await deliverNow(page, delta(send, { content: "# Title\n\nFirst paragraph.\n\nSecond" }));
  await rendered(page);
  // tag the rendered heading: a closed block must survive later deltas as the very same node
  await page.evaluate(() => { document.querySelector(".message.assistant h1").dataset.mark = "kept"; });
  for (let i = 0; i < 30; i += 1) {
    await deliverNow(page, delta(send, { content: ` more ${i}.\n\nParagraph ${i}` }));
  }
  await rendered(page);
  assert.equal(await page.getAttribute(".message.assistant h1", "data-mark"), "kept");
  assert.equal(await page.$$eval(".message.assistant .body .md-block p", (ps) => ps.length), 32);
  assert.equal((await page.textContent(".message.assistant .body .md-tail")).trim(), "Paragraph 29");
  const full = await page.evaluate(() => document.querySelector(".message.assistant .body").textContent);
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [],
                           result: result(`# Title\n\nFirst paragraph.\n\nSecond${Array.from({ length: 30 }, (_, i) => ` more ${i}.\n\nParagraph ${i}`).join("")}`) });
  await rendered(page);
  assert.equal(await page.getAttribute(".message.assistant h1", "data-mark"), "kept");
  assert.equal(await page.evaluate(() => document.querySelector(".message.assistant .body").textContent), full);
  await page.close();
});

test("an open code fence grows as a code block and is highlighted once it closes", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "code");
  await deliverNow(page, delta(send, { content: "Here:\n\n```python\ndef f(x):\n" }));
  await deliverNow(page, delta(send, { content: "    return x + 1\n" }));
  await rendered(page);
  const growing = ".message.assistant .md-tail pre code";
  assert.equal(await page.textContent(growing), "def f(x):\n    return x + 1\n");
  await deliverNow(page, delta(send, { content: "```\n\nDone." }));
  await rendered(page);
  assert.ok(await page.$(".message.assistant .md-block:not(.md-tail) pre code span[class^='hljs-']"), "highlighted");
  assert.equal(await page.getAttribute(".message.assistant pre code", "class"), "language-python");
  assert.equal((await page.textContent(".message.assistant .md-tail")).trim(), "Done.");
  await page.close();
});

test("pathological Markdown stays bounded: oversize blocks fall back to plain text, nesting is capped", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "break it");
  const backticks = Array.from({ length: 6000 }, (_, i) => "`".repeat(1 + (i % 7)) + "x").join(" "); // one ~30 KB block
  const nested = `${">".repeat(5000)} deep\n`;
  const content = `Intro.\n\n${backticks}\n\n${nested}\nEnd.`;
  for (let i = 0; i < content.length; i += 4000) {
    await deliverNow(page, delta(send, { content: content.slice(i, i + 4000) }));
  }
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [], result: result(content) });
  await rendered(page);
  // the oversize block is shown as its exact text, not dropped and not parsed
  const plain = await page.$$eval(".message.assistant .plain-text", (els) => els.map((e) => e.textContent));
  assert.ok(plain.some((t) => t.trim() === backticks), "backtick-heavy block shown as plain text");
  const depth = await page.evaluate(() => {
    let max = 0;
    for (const q of document.querySelectorAll(".message.assistant blockquote")) {
      let d = 0;
      for (let n = q; n && n.tagName !== "ARTICLE"; n = n.parentElement) if (n.tagName === "BLOCKQUOTE") d += 1;
      max = Math.max(max, d);
    }
    return max;
  });
  assert.ok(depth <= 21, `blockquote nesting capped, got ${depth}`);
  assert.equal((await page.textContent(".message.assistant .body .md-block:not(.md-tail) >> nth=-1")).trim(), "End.");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a huge reply without blank lines grows as plain text past the tail limit, then renders once closed", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "one long line");
  const words = "word ".repeat(4000); // 20 KB, one paragraph
  await deliverNow(page, delta(send, { content: words.slice(0, 12000) }));
  await rendered(page);
  assert.ok(await page.$(".message.assistant .md-tail .plain-text"), "the oversize tail is plain text while it streams");
  await deliverNow(page, delta(send, { content: words.slice(12000) }));
  await rendered(page);
  assert.equal(await page.textContent(".message.assistant .md-tail .plain-text"), words);
  await page.close();
});

test("Stop posts at once while a large reply streams, and what arrived is kept", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "stream a lot");
  const block = "Some *Markdown* with `code` and a [link](https://example.com).\n\n";
  for (let i = 0; i < 20; i += 1) {
    await deliverNow(page, delta(send, { content: block.repeat(200) }));
  }
  await page.click("#stop");
  assert.deepEqual(await posted(page, "stop"), [{ type: "stop", turnId: send.turnId }]);
  await deliverNow(page, { type: "turnCancelled", turnId: send.turnId });
  await rendered(page);
  assert.equal(await page.$$eval(".message.assistant .body em", (e) => e.length), 4000);
  assert.equal(await page.textContent(".message.assistant .tag"), "Stopped");
  await page.close();
});

test("reasoning streams into a Thinking block that folds when the answer starts and can be reopened", async () => {
  const page = await openWebview(browser);
  await init(page);
  const send = await sendPrompt(page, "think");
  await deliverNow(page, delta(send, { status: "thinking 1 s" }));
  await deliverNow(page, delta(send, { reasoning: "**Considering** the input" }));
  await deliverNow(page, delta(send, { reasoning: " and the edge cases." }));
  await rendered(page);
  const thinking = ".message.assistant details.thinking";
  assert.equal(await page.$eval(thinking, (d) => d.open), true);
  assert.equal((await page.textContent(`${thinking} .thinking-body`)).trim(), "Considering the input and the edge cases.");
  assert.equal(await page.textContent(`${thinking} strong`), "Considering");
  // the Thinking block sits above the answer
  assert.equal(await page.$eval(thinking, (d) => d.nextElementSibling.classList.contains("body")), true);
  await deliverNow(page, delta(send, { content: "The answer." }));
  assert.equal(await page.$eval(thinking, (d) => d.open), false);
  assert.match(await page.textContent(`${thinking} summary`), /^Thought/);
  await page.click(`${thinking} summary`);
  assert.equal(await page.$eval(thinking, (d) => d.open), true);
  // reasoning is never answer text
  await rendered(page);
  assert.equal((await page.textContent(".message.assistant .body")).trim(), "The answer.");
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [],
                           result: result("The answer.", { reasoning: "**Considering** the input and the edge cases." }) });
  assert.equal(await page.$$eval(thinking, (d) => d.length), 1);
  await page.close();
});

test("a reopened conversation shows stored reasoning, folded", async () => {
  const page = await openWebview(browser);
  await init(page, { conversation: { id: "c3", title: "t", workspaceUri: "file:///ws", messages: [
    { id: "1", role: "user", content: "why?", status: "complete", createdAt: "2026-01-01T00:00:00Z" },
    { id: "2", role: "assistant", content: "Because.", status: "complete", createdAt: "2026-01-01T00:00:01Z",
      reasoning: "Checked *three* cases." },
  ] } });
  await rendered(page);
  const thinking = ".message.assistant details.thinking";
  assert.equal(await page.$eval(thinking, (d) => d.open), false);
  assert.equal(await page.textContent(`${thinking} summary`), "Thinking");
  assert.equal((await page.textContent(`${thinking} .thinking-body`)).trim(), "Checked three cases.");
  assert.equal((await page.textContent(".message.assistant .body")).trim(), "Because.");
  await page.close();
});

test("the panel adopts only deltas carrying its clientToken, whatever their conversation", async () => {
  const page = await openWebview(browser);
  await init(page, { conversation: { id: "c1", title: "t", workspaceUri: "file:///ws", messages: [] } });
  const send = await sendPrompt(page, "mine");
  assert.equal(send.conversationId, "c1");
  // a second window's turn on the same conversation: same conversation id, another token
  await deliverNow(page, { type: "delta", conversationId: "c1", messageId: "m7", clientToken: "panel-other", content: "THEIRS" });
  await deliverNow(page, delta(send, { content: "ours" }, { conversationId: "c1", messageId: "m8" }));
  await deliverNow(page, { type: "delta", conversationId: "c1", messageId: "m8", clientToken: "panel-other", content: "X" });
  await rendered(page);
  assert.equal((await page.textContent(".message.assistant .body")).trim(), "ours");
  await page.close();
});

test("a code action's turn adopts the deltas of its own token and Stop cancels it", async () => {
  const page = await openWebview(browser);
  await init(page);
  await deliverNow(page, { type: "turnStarted", turnId: "action-1", prompt: "Explain the selection", clientToken: "action-abc" });
  await deliverNow(page, { type: "delta", conversationId: "c2", messageId: "m1", clientToken: "panel-x", content: "NOT MINE" });
  await deliverNow(page, { type: "delta", conversationId: "c4", messageId: "m5", clientToken: "action-abc", status: "waiting for gpt-4o" });
  assert.equal(await page.textContent(`${LAST_REPLY} >> .turn-status`), "waiting for gpt-4o");
  await deliverNow(page, { type: "delta", conversationId: "c4", messageId: "m5", clientToken: "action-abc", content: "It adds." });
  await rendered(page);
  assert.equal((await page.textContent(".message.assistant .body")).trim(), "It adds.");
  await page.click("#stop");
  assert.deepEqual(await posted(page, "stop"), [{ type: "stop", turnId: "action-1" }]);
  await page.close();
});

test("the status sits on the message it concerns and goes when the turn ends", async () => {
  const page = await openWebview(browser);
  await init(page, { conversation: { id: "c1", title: "t", workspaceUri: "file:///ws", messages: [
    { id: "1", role: "user", content: "q", status: "complete", createdAt: "2026-01-01T00:00:00Z" },
    { id: "2", role: "assistant", content: "a", status: "complete", createdAt: "2026-01-01T00:00:01Z" },
  ] } });
  const send = await sendPrompt(page, "again");
  await deliverNow(page, delta(send, { status: "rate limited, retrying in 9 s" }));
  const statuses = await page.$$eval(".message.assistant .turn-status", (s) => s.map((x) => (x.hidden ? "" : x.textContent)));
  assert.deepEqual(statuses, ["", "rate limited, retrying in 9 s"]);
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [], result: result("done") });
  assert.equal(await page.isVisible(".message.assistant .turn-status >> nth=-1"), false);
  await page.close();
});

const LONG_ERROR = "Azure returned 404 for https://contoso-really-long-resource-name.openai.azure.com/openai/deployments/"
  + "gpt-4o-deployment-with-a-very-long-name/chat/completions?api-version=2024-12-01-preview: the deployment "
  + "`gpt-4o-deployment-with-a-very-long-name` does not exist. Check `chatls.profiles` in your settings, or run "
  + "'ChatLS: Set API Key' if the key is wrong.";

test("an error box wraps at the side-bar width, renders Markdown and carries the actions it names", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  const send = await sendPrompt(page, "fail");
  await deliverNow(page, delta(send, { status: "waiting for gpt-4o" }));
  await deliverNow(page, { type: "turnError", turnId: send.turnId, message: LONG_ERROR });
  const box = await page.$eval(".error", (e) => ({ scroll: e.scrollWidth, client: e.clientWidth,
                                                   right: e.getBoundingClientRect().right, width: window.innerWidth }));
  assert.ok(box.scroll <= box.client + 1 && box.right <= box.width, `error box overflows: ${JSON.stringify(box)}`);
  // Markdown, not raw backticks
  assert.equal(await page.textContent(".error .error-text code >> nth=1"), "chatls.profiles");
  assert.ok(!(await page.textContent(".error .error-text")).includes("`"));
  const buttons = await page.$$eval(".error .error-actions button", (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(buttons, ["Retry", "Set API Key", "Open Settings"]);
  for (const b of await page.$$(".error .error-actions button")) {
    const r = await b.boundingBox();
    assert.ok(r.x + r.width <= SIDEBAR.width, "every button is visible at the side-bar width");
  }
  await page.click(".error .action-setApiKey");
  await page.click(".error .action-openSettings");
  assert.deepEqual(await posted(page, "command"), [{ type: "command", command: "setApiKey" }, { type: "command", command: "openSettings" }]);
  await page.close();
});

test("an interrupted reply shows its tag and can be retried", async () => {
  const page = await openWebview(browser);
  await init(page, { conversation: { id: "c6", title: "t", workspaceUri: "file:///ws", messages: [
    { id: "u1", role: "user", content: "long task", status: "complete", createdAt: "2026-01-01T00:00:00Z" },
    { id: "a1", role: "assistant", content: "Half of the", status: "interrupted", createdAt: "2026-01-01T00:00:01Z" },
  ] } });
  await page.waitForSelector(".message.assistant.status-interrupted .interrupted-tag");
  assert.match(await page.textContent(".interrupted-tag"), /^Interrupted/);
  await page.click(".error .retry");
  const send = (await posted(page, "send")).at(-1);
  assert.deepEqual([send.prompt, send.retryOf, send.conversationId], ["long task", "a1", "c6"]);
  // the interrupted reply had text: it stays (marked) above the retry
  assert.equal(await page.$$eval(".message.assistant", (m) => m.length), 2);
  await page.close();
});

test("code blocks offer Apply to selection, and their code never paints its own per-line background", async () => {
  const page = await openWebview(browser);
  await init(page);
  // VS Code's default webview style gives inline `code` a background; simulate it (CSSOM is allowed by the CSP)
  await page.evaluate(() => document.styleSheets[0].insertRule("code { background-color: rgb(200, 0, 0); padding: 1px 3px; }", 0));
  const send = await sendPrompt(page, "code");
  const code = "x = 1\ny = 2";
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [], result: result(`\`\`\`python\n${code}\n\`\`\`\n\nand \`inline\``) });
  await rendered(page);
  assert.deepEqual(await page.$$eval(".code-actions button", (bs) => bs.map((b) => b.textContent)), ["Copy", "Insert", "Apply to selection"]);
  await page.click(".code-apply");
  assert.deepEqual(await posted(page, "apply"), [{ type: "apply", code }]);
  const block = await page.evaluate(() => {
    const style = window.getComputedStyle(document.querySelector("pre code"));
    return { background: style.backgroundColor, padding: style.paddingLeft, display: style.display };
  });
  assert.deepEqual(block, { background: "rgba(0, 0, 0, 0)", padding: "0px", display: "block" });
  await page.close();
});

const CONVERSATIONS = [
  { id: "c1", title: "Refactor the parser into a streaming tokenizer with error recovery and tests", updatedAt: new Date().toISOString(), messageCount: 6 },
  { id: "c2", title: "Why is my Docker build slow", updatedAt: "2026-03-04T10:00:00Z", messageCount: 2 },
  { id: "c3", title: "", updatedAt: "2025-12-24T10:00:00Z", messageCount: 1 },
];

test("the conversation list fits the side bar, shows dates, filters by search, renames and deletes per item", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page, { conversations: CONVERSATIONS });
  await page.click("#history summary");
  const list = await page.$eval("#conversation-list", (l) => ({ scroll: l.scrollWidth, client: l.clientWidth }));
  assert.ok(list.scroll <= list.client, `list overflows: ${JSON.stringify(list)}`);
  const dates = await page.$$eval("#conversation-list .date", (d) => d.map((x) => x.textContent));
  assert.equal(dates.length, 3);
  assert.match(dates[0], /^\d\d:\d\d/); // today: the time
  assert.match(dates[1], /2026/);
  assert.equal(await page.textContent("#conversation-list li[data-id='c3'] .title"), "(untitled)");
  await page.fill("#conversation-search", "docker");
  assert.deepEqual(await page.$$eval("#conversation-list li[data-id]", (l) => l.map((x) => x.dataset.id)), ["c2"]);
  await page.fill("#conversation-search", "nothing like this");
  assert.equal(await page.textContent("#conversation-list li.empty"), "No conversation matches");
  await page.fill("#conversation-search", "");
  await page.click("#conversation-list li[data-id='c2'] button.rename");
  await page.fill("#conversation-list .rename-input", "Docker build cache");
  await page.press("#conversation-list .rename-input", "Enter");
  assert.deepEqual(await posted(page, "renameConversation"), [{ type: "renameConversation", conversationId: "c2", title: "Docker build cache" }]);
  assert.equal(await page.textContent("#conversation-list li[data-id='c2'] .title"), "Docker build cache");
  // Escape cancels a rename
  await page.click("#conversation-list li[data-id='c1'] button.rename");
  await page.press("#conversation-list .rename-input", "Escape");
  assert.equal((await posted(page, "renameConversation")).length, 1);
  await page.click("#conversation-list li[data-id='c3'] button.remove");
  assert.deepEqual(await posted(page, "deleteConversation"), [{ type: "deleteConversation", conversationId: "c3" }]);
  await page.close();
});

test("first run with no profile shows the guided set-up, checks it, and posts it", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await deliverNow(page, { type: "init", profiles: [], activeProfile: null, reasoningEffort: null, conversations: [], conversation: null });
  assert.equal(await page.isVisible("#setup"), true);
  assert.equal(await page.isVisible("#prompt"), false);
  await page.fill("#setup input[name=endpoint]", "contoso.openai.azure.com");
  await page.fill("#setup input[name=deployment]", "gpt-4o");
  await page.click("#setup button[type=submit]");
  assert.match(await page.textContent("#setup .setup-problem"), /^Endpoint/);
  await page.fill("#setup input[name=endpoint]", "https://contoso.openai.azure.com");
  await page.click("#setup button[type=submit]");
  assert.match(await page.textContent("#setup .setup-problem"), /^API key/);
  await page.fill("#setup input[name=apiKey]", "sk-canary-0123");
  await page.click("#setup button[type=submit]");
  assert.deepEqual(await posted(page, "setup"), [{ type: "setup", form: {
    name: "default", endpoint: "https://contoso.openai.azure.com", deployment: "gpt-4o", auth: "apiKey", apiKey: "sk-canary-0123" } }]);
  assert.equal(await page.isDisabled("#setup button[type=submit]"), true);
  await deliverNow(page, { type: "setupResult", ok: true, message: "Profile 'default' saved. Starting the server with it…" });
  assert.equal(await page.inputValue("#setup input[name=apiKey]"), "", "the key does not linger in the form");
  // Entra ID needs no key
  await page.selectOption("#setup select[name=auth]", "entra");
  assert.equal(await page.isVisible("#setup input[name=apiKey]"), false);
  // the server restarts with the profile: the panel becomes the chat
  await deliverNow(page, { type: "profiles", profiles: [{ name: "default", model: "gpt-4o", reasoning: false, reasoningEfforts: [] }],
                           activeProfile: "default", reasoningEffort: null });
  assert.equal(await page.isVisible("#setup"), false);
  assert.equal(await page.isVisible("#prompt"), true);
  await page.close();
});
