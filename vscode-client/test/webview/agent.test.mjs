// The panel's agent mode, context chips, budget line and citations in headless chromium (production HTML,
// CSP and bundle; the extension host is played by delivering its messages).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDEBAR, USAGE, deliverNow, init, launch, openWebview, posted, rendered } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SHOTS = process.env.CHATLS_SHOTS; // set by the screenshot run; the tests assert either way

function result(content, extra = {}) {
  return { conversationId: "c1", messageId: "m2", content, model: "gpt-4o", finishReason: "stop",
           stopReason: "complete", usage: USAGE, adaptations: [], ...extra };
}

const CHOICES = [
  { label: "#problems", detail: "2 in src/app.py", item: { kind: "problems", uri: "file:///ws/src/app.py" } },
  { label: "#diff", detail: "git diff of the working tree", item: { kind: "diff" } },
  { label: "app.py", detail: "src/app.py", item: { kind: "file", uri: "file:///ws/src/app.py" } },
];

const BUDGET = { model: "gpt-4o", tokens: 5210, inputBudget: 123648, contextWindow: 128000, replyReserve: 4352,
                 promptTokens: 12, instructionsTokens: 31, attachments: [{ label: "file src/app.py", tokens: 4100 }],
                 historyTokens: 117, historyMessages: 4, leftOutMessages: 0, leftOutAttachments: [], fits: true };

/** Type `#query` and answer the panel's contextQuery with `choices`; resolves once the list shows them. */
async function hash(page, query, choices = CHOICES) {
  await page.type("#prompt", `#${query}`);
  await page.waitForFunction((q) => window.__posted.some((m) => m.type === "contextQuery" && m.query === q), query);
  // as the extension filters: special items by their name, files by their path
  const matching = choices.filter((c) => (c.item.kind === "file" ? c.detail : c.label).toLowerCase().includes(query.toLowerCase()));
  await deliverNow(page, { type: "contextChoices", query, choices: matching });
  await page.waitForSelector("#context-popup:not([hidden])");
}

test("the Agent toggle sends mode agent; steps show as rows that start and finish, ok or failed", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.check("#agent");
  await page.fill("#prompt", "add type hints");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  assert.equal(send.mode, "agent");
  const ids = { conversationId: "c1", messageId: "m2", clientToken: send.clientToken };
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "started", name: "list_files", summary: "src/" } });
  assert.equal(await page.getAttribute(".agent-steps details.step", "class"), "step running");
  assert.match(await page.textContent(".message.assistant .turn-status"), /list_files/);
  await deliverNow(page, { type: "delta", ...ids, step: { index: 1, phase: "finished", name: "list_files", summary: "2 files", ok: true } });
  await deliverNow(page, { type: "delta", ...ids, step: { index: 2, phase: "started", name: "read_file", summary: "../etc/passwd" } });
  await deliverNow(page, { type: "delta", ...ids, step: { index: 2, phase: "finished", name: "read_file", summary: "outside the workspace", ok: false } });
  await deliverNow(page, { type: "delta", ...ids, step: { index: 3, phase: "started", name: "propose_edits", summary: "2 files" } });
  await deliverNow(page, { type: "delta", ...ids, content: "Proposed the edits." });
  const rows = await page.$$eval(".agent-steps details.step", (els) => els.map((e) => ({
    cls: e.className, name: e.querySelector(".step-name").textContent, brief: e.querySelector(".step-brief").textContent })));
  assert.deepEqual(rows, [
    { cls: "step ok", name: "list_files", brief: "2 files" },
    { cls: "step failed", name: "read_file", brief: "outside the workspace" },
    { cls: "step running", name: "propose_edits", brief: "2 files" },
  ]);
  // rows are collapsible: the detail shows on click
  assert.equal(await page.isVisible(".agent-steps details.step.failed .step-detail"), false);
  await page.click(".agent-steps details.step.failed summary");
  assert.equal(await page.textContent(".agent-steps details.step.failed .step-detail"), "Failed: outside the workspace");
  // the steps come before the answer text
  assert.ok(await page.$eval(".message.assistant", (m) =>
    m.querySelector(".agent-steps").compareDocumentPosition(m.querySelector(".body")) & window.Node.DOCUMENT_POSITION_FOLLOWING));
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/agent-steps-running.png` });
  // the turn ends while a step still runs (e.g. Stop): it is not left spinning
  await deliverNow(page, { type: "turnCancelled", turnId: send.turnId });
  assert.equal(await page.getAttribute(".agent-steps details.step >> nth=2", "class"), "step unfinished");
  await page.close();
});

test("stored agent replies show their steps; stored questions show what was attached", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  const conversation = {
    id: "c1", title: "hints", workspaceUri: "file:///ws", messages: [
      { id: "m1", role: "user", content: "add type hints", status: "complete", createdAt: "2026-12-02T10:00:00Z",
        attachment: "file src/app.py\n```\ndef f(x): return x\n```" },
      { id: "m2", role: "assistant", content: "Done [doc1].", status: "complete", createdAt: "2026-12-02T10:00:05Z",
        model: "gpt-4o", usage: USAGE,
        steps: [{ index: 1, phase: "finished", name: "read_file", summary: "src/app.py (lines 1-1 of 1)", ok: true },
                { index: 2, phase: "finished", name: "propose_edits", summary: "declined by the user", ok: false }],
        citations: [{ title: "Style guide", url: "https://example.com/style", filepath: "docs/style.md", chunkId: "0" }] },
    ],
  };
  await init(page, { conversation });
  await rendered(page);
  const rows = await page.$$eval(".agent-steps details.step", (els) => els.map((e) => e.className));
  assert.deepEqual(rows, ["step ok", "step failed"]);
  assert.equal(await page.textContent(".message.user details.attached > summary"), "Attached context");
  assert.match(await page.textContent(".message.user details.attached pre"), /^file src\/app.py/);
  assert.equal(await page.textContent("ol.citations li#doc1 .citation-number"), "[doc1]");
  await page.close();
});

test("# opens the context list; chosen items become removable chips sent as attachments, in order", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.click("#prompt");
  await page.type("#prompt", "review ");
  await hash(page, "app");
  assert.deepEqual(await page.$$eval("#context-popup .choice-label", (els) => els.map((e) => e.textContent)), ["app.py"]);
  await page.keyboard.press("Enter"); // picks; does not send
  assert.equal((await posted(page, "send")).length, 0);
  assert.equal(await page.inputValue("#prompt"), "review ");
  await hash(page, "pro");
  await page.keyboard.press("Tab");
  await hash(page, "");
  assert.equal(await page.$$eval("#context-popup .context-choice", (els) => els.length), 3);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  assert.deepEqual(await page.$$eval("#chips .chip-label", (els) => els.map((e) => e.textContent)), ["app.py", "#problems", "#diff"]);
  // the same item twice is one chip
  await hash(page, "app");
  await page.keyboard.press("Enter");
  assert.equal(await page.$$eval("#chips .chip", (els) => els.length), 3);
  // Escape closes the list and keeps the text typed
  await hash(page, "zz", []);
  assert.equal(await page.textContent("#context-popup"), "Nothing to attach matches");
  await page.keyboard.press("Escape");
  assert.equal(await page.isHidden("#context-popup"), true);
  await page.fill("#prompt", "review this");
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/context-chips.png` });
  // a chip's × removes it
  await page.click("#chips .chip >> nth=1 >> .chip-remove");
  assert.deepEqual(await page.$$eval("#chips .chip-label", (els) => els.map((e) => e.textContent)), ["app.py", "#diff"]);
  await page.keyboard.type(" "); // "#" opens the list only at the start of a word
  await hash(page, "pro");
  await page.keyboard.press("Enter");
  await page.fill("#prompt", "review this");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  assert.deepEqual(send.attachments, [CHOICES[2].item, CHOICES[1].item, CHOICES[0].item]);
  assert.equal(send.mode, undefined, "plain chat sends no mode");
  assert.equal(await page.textContent(".message.user .attached-labels"), "Attached: app.py, #diff, #problems");
  assert.equal(await page.isHidden("#chips"), true, "the next question starts without chips");
  await page.close();
});

test("a file dropped on the panel becomes a file chip", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.evaluate(() => {
    const data = new window.DataTransfer();
    data.setData("text/uri-list", "file:///ws/src/util%20s.py\r\nfile:///ws/README.md");
    document.querySelector("#messages").dispatchEvent(new window.DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  assert.deepEqual(await page.$$eval("#chips .chip-label", (els) => els.map((e) => e.textContent)), ["util s.py", "README.md"]);
  await page.fill("#prompt", "explain");
  await page.click("#send");
  assert.deepEqual((await posted(page, "send")).at(-1).attachments,
                   [{ kind: "file", uri: "file:///ws/src/util%20s.py" }, { kind: "file", uri: "file:///ws/README.md" }]);
  await page.close();
});

test("the budget is asked (debounced) as the draft changes and shows what would be left out", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.check("#agent");
  await page.click("#prompt");
  await page.keyboard.type("explain this code", { delay: 10 });
  await page.waitForFunction(() => window.__posted.some((m) => m.type === "budget" && m.prompt === "explain this code"));
  const asks = await posted(page, "budget");
  assert.ok(asks.filter((m) => m.prompt.startsWith("explain")).length <= 2, `typing was debounced: ${asks.length} asks`);
  const ask = asks.at(-1);
  assert.equal(ask.mode, "agent");
  assert.equal(ask.profile, "fast");
  // an older answer arriving late is ignored
  await deliverNow(page, { type: "budget", requestId: ask.requestId - 1, budget: { ...BUDGET, tokens: 1 } });
  await deliverNow(page, { type: "budget", requestId: ask.requestId, budget: BUDGET });
  assert.equal(await page.textContent("#budget"), "≈ 5,210 of 123,648 tokens");
  assert.match(await page.getAttribute("#budget", "title"), /file src\/app.py: 4,100/);
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/budget.png` });
  // a chip counts too
  await page.keyboard.type(" ");
  await hash(page, "diff");
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => window.__posted.filter((m) => m.type === "budget").length > n, asks.length);
  const withChip = (await posted(page, "budget")).at(-1);
  assert.deepEqual(withChip.attachments, [{ kind: "diff" }]);
  await deliverNow(page, { type: "budget", requestId: withChip.requestId,
                           budget: { ...BUDGET, leftOutMessages: 3 } });
  assert.equal(await page.textContent("#budget"), "≈ 5,210 of 123,648 tokens · 3 earlier messages left out");
  await page.fill("#prompt", "explain this code!");
  await page.waitForFunction(() => window.__posted.filter((m) => m.type === "budget").at(-1).prompt.endsWith("!"));
  const over = (await posted(page, "budget")).at(-1);
  await deliverNow(page, { type: "budget", requestId: over.requestId,
                           budget: { ...BUDGET, tokens: 200000, fits: false, leftOutAttachments: ["git diff (working tree)"] } });
  assert.equal(await page.textContent("#budget"),
               "≈ 200,000 of 123,648 tokens · too long: would need to leave out git diff (working tree)");
  assert.equal(await page.getAttribute("#budget", "class"), "budget over");
  // the server could not count (no profile yet): the line goes rather than showing a stale count
  await page.fill("#prompt", "x");
  await page.waitForFunction(() => window.__posted.filter((m) => m.type === "budget").at(-1).prompt === "x");
  await deliverNow(page, { type: "budget", requestId: (await posted(page, "budget")).at(-1).requestId, budget: null, error: "no profile" });
  assert.equal(await page.isHidden("#budget"), true);
  await page.close();
});

test("citations show as numbered footnotes, from a delta and from the result; only http(s) links", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.fill("#prompt", "what does the guide say");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  const ids = { conversationId: "c1", messageId: "m2", clientToken: send.clientToken };
  const citations = [
    { title: "Style guide", url: "https://example.com/style", filepath: "docs/style.md", chunkId: "0" },
    { title: null, url: "javascript:alert(1)", filepath: "notes/a.md", chunkId: "3" },
    { title: null, url: null, filepath: null, chunkId: "7" },
  ];
  await deliverNow(page, { type: "delta", ...ids, citations });
  await deliverNow(page, { type: "delta", ...ids, content: "Use four spaces [doc1], see [doc2]." });
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [], result: result("Use four spaces [doc1], see [doc2].", { citations }) });
  await rendered(page);
  const items = await page.$$eval("ol.citations li", (els) => els.map((e) => e.textContent));
  assert.deepEqual(items, ["[doc1] Style guide docs/style.md", "[doc2] notes/a.md", "[doc3] chunk 7"]);
  assert.equal(await page.getAttribute("ol.citations li#doc1 a", "href"), "https://example.com/style");
  assert.equal(await page.$("ol.citations li#doc2 a"), null, "a javascript: URL is not a link");
  assert.equal(await page.$$eval("ol.citations", (els) => els.length), 1);
  // the footnotes sit above the usage line
  assert.ok(await page.$eval(".message.assistant", (m) =>
    m.querySelector("ol.citations").compareDocumentPosition(m.querySelector(".usage")) & window.Node.DOCUMENT_POSITION_FOLLOWING));
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.cspViolations, []);
  await page.close();
});
