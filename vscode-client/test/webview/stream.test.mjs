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
