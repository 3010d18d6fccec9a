// Streaming costs in the chat webview (headless chromium): code is highlighted only near view, and the code-block
// bars (cloned, one delegated listener per reply) act on their own block wherever it is.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDEBAR, USAGE, deliverNow, init, launch, openWebview, posted, rendered } from "./harness.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FILLER = "Some prose between the blocks, long enough to take several lines at the side bar's width. ".repeat(5);
const section = (i) => `Block ${i}:\n\n\`\`\`python\ndef f_${i}(x):\n    return x + ${i}\n\`\`\`\n\n${FILLER}\n\n`;
const REPLY = Array.from({ length: 150 }, (_, i) => section(i)).join("");

async function streamLongReply(page) {
  await page.fill("#prompt", "lots of code");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  for (let i = 0; i < REPLY.length; i += 3000) {
    await deliverNow(page, { type: "delta", conversationId: "c1", messageId: "m2", clientToken: send.clientToken,
                             content: REPLY.slice(i, i + 3000) });
  }
  await deliverNow(page, { type: "turnDone", turnId: send.turnId, notes: [], result: {
    conversationId: "c1", messageId: "m2", content: REPLY, model: "gpt-4o", finishReason: "stop",
    stopReason: "complete", usage: USAGE, adaptations: [] } });
  await rendered(page);
}

test("code below the view stays plain until it is scrolled into view, then is highlighted with its text unchanged", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await page.fill("#prompt", "prose, then code");
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  const delta = (content) => deliverNow(page, { type: "delta", conversationId: "c1", messageId: "m2",
                                                clientToken: send.clientToken, content });
  await delta(`${FILLER}\n\n`.repeat(20));
  await rendered(page);
  await page.$eval("#messages", (m) => { m.scrollTop = 0; }); // the user reads from the top: the view stays there
  await page.waitForFunction(() => document.querySelector("#messages").scrollTop === 0);
  for (let i = 0; i < REPLY.length; i += 3000) {
    await delta(REPLY.slice(i, i + 3000));
  }
  await rendered(page);
  const codeCount = await page.$$eval(".message.assistant pre", (ps) => ps.length);
  assert.equal(codeCount, 150);
  assert.equal(await page.$eval("#messages", (m) => m.scrollTop), 0, "the view did not follow");
  const pending = () => page.$$eval(".message.assistant pre", (ps) => ps.map((p) => p.classList.contains("highlight-pending")));
  assert.deepEqual(await pending(), Array(150).fill(true), "nothing below the view was highlighted");
  await page.$eval(".message.assistant pre >> nth=75", (p) => p.scrollIntoView({ block: "center" }));
  await page.waitForFunction(() => !!document.querySelectorAll(".message.assistant pre")[75].querySelector("span[class^='hljs-']"));
  await rendered(page);
  const after = await pending();
  assert.equal(after[0], true, "the first block, far above, is still plain");
  assert.equal(after[149], true, "the last block, far below, is still plain");
  assert.equal(await page.textContent(".message.assistant pre >> nth=75 >> code"), "def f_75(x):\n    return x + 75\n");
  assert.equal(await page.getAttribute(".message.assistant pre >> nth=75 >> code", "class"), "language-python");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("every code block gets its own bar, and each button posts its own block's code (one listener per reply)", async () => {
  const page = await openWebview(browser, { viewport: SIDEBAR });
  await init(page);
  await streamLongReply(page);
  assert.equal(await page.$$eval(".message.assistant .code-block > .code-actions", (bars) => bars.length), 150);
  assert.deepEqual(await page.$$eval(".code-block >> nth=7 >> .code-actions button", (bs) => bs.map((b) => [b.textContent, b.title])),
                   [["Copy", "Copy to clipboard"], ["Insert", "Insert at the cursor"],
                    ["Apply to selection", "Replace the editor's selection with this code"]]);
  await page.click(".code-block >> nth=0 >> .code-copy"); // far above the view: the click scrolls to it
  await page.click(".code-block >> nth=75 >> .code-insert");
  await page.click(".code-block >> nth=149 >> .code-apply");
  assert.deepEqual(await posted(page, "copy"), [{ type: "copy", code: "def f_0(x):\n    return x + 0" }]);
  assert.deepEqual(await posted(page, "insert"), [{ type: "insert", code: "def f_75(x):\n    return x + 75" }]);
  assert.deepEqual((await posted(page, "apply")).map((m) => m.code), ["def f_149(x):\n    return x + 149"]);
  // clicking the code itself or the bar's padding posts nothing
  await page.click(".code-block >> nth=3 >> pre");
  assert.equal((await posted(page)).filter((m) => ["copy", "insert", "apply"].includes(m.type)).length, 3);
  await page.close();
});

/** Start a turn and return a function delivering one delta of it (handled at once). */
async function startStream(page, prompt) {
  await page.fill("#prompt", prompt);
  await page.click("#send");
  const send = (await posted(page, "send")).at(-1);
  return (content) => deliverNow(page, { type: "delta", conversationId: "c1", messageId: "m2",
                                         clientToken: send.clientToken, content });
}

const MARKDOWN = [
  "# Title",
  "- tight *a*\n- **b** `c`",
  "5. five\n6. six",
  "| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |",
  "> quote  \n> broken",
  "[safe](https://example.com \"T\") [bad](javascript:alert(1)) [mail](mailto:a@example.com) see https://auto.example/x",
  "![alt text](https://evil.example/x.png)",
  "text with <b>raw</b> html",
].join("\n\n");

test("replies are built from the parser's tokens: only allowed elements and attributes, everything else as text", async () => {
  const page = await openWebview(browser);
  await init(page);
  const delta = await startStream(page, "markdown");
  await delta(MARKDOWN);
  await delta("\n\nend\n\n");
  await rendered(page);
  const body = ".message.assistant .body";
  const shape = await page.$eval(body, (b) => ({
    h1: b.querySelector("h1")?.textContent,
    tightItems: Array.from(b.querySelectorAll("ul > li")).map((li) => li.innerHTML),
    olStart: b.querySelector("ol")?.getAttribute("start"),
    aligns: Array.from(b.querySelectorAll("th")).map((th) => th.getAttribute("align")),
    quoteBreaks: b.querySelectorAll("blockquote br").length,
    links: Array.from(b.querySelectorAll("a")).map((a) => [a.textContent, a.getAttribute("href"), a.getAttribute("title"), a.rel]),
    images: b.querySelectorAll("img").length,
    attributes: Array.from(b.querySelectorAll("*")).flatMap((e) => Array.from(e.attributes).map((a) => a.name)),
  }));
  assert.equal(shape.h1, "Title");
  assert.deepEqual(shape.tightItems, ["tight <em>a</em>", "<strong>b</strong> <code>c</code>"]);
  assert.equal(shape.olStart, "5");
  assert.deepEqual(shape.aligns, ["left", "center", "right"]);
  assert.equal(shape.quoteBreaks, 1);
  assert.deepEqual(shape.links, [
    ["safe", "https://example.com", "T", "noopener noreferrer"],
    ["mail", "mailto:a@example.com", null, "noopener noreferrer"],
    ["https://auto.example/x", "https://auto.example/x", null, "noopener noreferrer"],
  ]);
  assert.equal(shape.images, 0);
  const text = await page.textContent(body);
  assert.ok(text.includes("alt text"), "an image's description stays as text");
  assert.ok(text.includes("text with <b>raw</b> html"), "raw HTML stays text");
  assert.ok(text.includes("[bad](javascript:alert(1))"), "a link to a script is no link");
  const allowed = new Set(["class", "href", "title", "rel", "start", "align", "type", "data-action"]);
  assert.deepEqual(shape.attributes.filter((name) => !allowed.has(name)), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("an open code block or a long run of plain text grows in pieces cut at line ends, holding exactly what arrived", async () => {
  const page = await openWebview(browser);
  await init(page);
  const delta = await startStream(page, "long");
  const lines = Array.from({ length: 2000 }, (_, i) => `value_${i} = compute(${i}, "some argument")\n`).join("");
  await delta("```python\n");
  for (let i = 0; i < lines.length; i += 1777) {
    await delta(lines.slice(i, i + 1777));
  }
  await rendered(page);
  const code = await page.$eval(".message.assistant .md-tail pre", (pre) => Array.from(pre.children).map((c) => c.textContent));
  assert.ok(code.length > 5, `pieces: ${code.length}`);
  assert.equal(code.join(""), lines);
  assert.ok(code.slice(0, -1).every((piece) => piece.endsWith("\n")), "every piece but the last ends a line");

  const page2 = await openWebview(browser);
  await init(page2);
  const delta2 = await startStream(page2, "prose");
  const prose = "A paragraph line that goes on without any blank line in between.\n".repeat(600);
  for (let i = 0; i < prose.length; i += 2500) {
    await delta2(prose.slice(i, i + 2500));
  }
  await rendered(page2);
  const plain = await page2.$$eval(".message.assistant .md-tail .plain-text", (ps) => ps.map((p) => p.textContent));
  assert.ok(plain.length > 5, `pieces: ${plain.length}`);
  assert.equal(plain.join(""), prose);
  assert.deepEqual([...page.errors, ...page2.errors], []);
  await page.close();
  await page2.close();
});

test("the end of a reply is drawn with its usage line, not a commit later", async () => {
  const page = await openWebview(browser);
  await init(page);
  const delta = await startStream(page, "short");
  await delta("**Hel");
  const send = (await posted(page, "send")).at(-1);
  const shown = await page.evaluate((turnId) => {
    window.dispatchEvent(new window.MessageEvent("message", { data: { type: "turnDone", turnId, notes: [], result: {
      conversationId: "c1", messageId: "m2", content: "**Hello** there\n\n```python\nprint('hi')\n```\n",
      model: "gpt-4o", finishReason: "stop", stopReason: "complete",
      usage: { promptTokens: 1, completionTokens: 2, reasoningTokens: 0, cachedTokens: 0 }, adaptations: [] } } }));
    const message = document.querySelector(".message.assistant"); // read in the same task: no frame between
    return { usage: !!message.querySelector(".usage"), strong: message.querySelector(".body strong")?.textContent,
             code: message.querySelector(".body pre code")?.textContent };
  }, send.turnId);
  assert.deepEqual(shown, { usage: true, strong: "Hello", code: "print('hi')\n" });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("restoring a long conversation draws what one frame's budget allows at once and the rest in later frames", async () => {
  const page = await openWebview(browser);
  const paragraph = "A stored answer with *some* `inline` Markdown that takes a little work to draw. ".repeat(60);
  const messages = Array.from({ length: 300 }, (_, i) => [
    { id: `u${i}`, role: "user", content: `question ${i}`, status: "complete", createdAt: "2026-01-01T00:00:00Z" },
    { id: `a${i}`, role: "assistant", content: `Answer ${i}\n\n${paragraph}`, status: "complete",
      createdAt: "2026-01-01T00:00:01Z", model: "gpt-4o", usage: USAGE },
  ]).flat();
  const conversation = { id: "c9", title: "Long", workspaceUri: "file:///ws", messages };
  const drawnInTheSameTask = await page.evaluate((conversation) => {
    window.dispatchEvent(new window.MessageEvent("message", { data: { type: "init", profiles: [], activeProfile: null,
      reasoningEffort: null, conversations: [], conversation } }));
    return Array.from(document.querySelectorAll(".message.assistant .body")).filter((b) => b.textContent !== "").length;
  }, conversation);
  assert.ok(drawnInTheSameTask >= 1 && drawnInTheSameTask < 300, `drawn at once: ${drawnInTheSameTask}`);
  await rendered(page);
  const bodies = await page.$$eval(".message.assistant .body", (bs) => bs.map((b) => b.textContent));
  assert.equal(bodies.length, 300);
  assert.ok(bodies.every((text, i) => text.startsWith(`Answer ${i}`)));
  assert.deepEqual(page.errors, []);
  await page.close();
});
