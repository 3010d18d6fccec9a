// Code actions running now and the reply text each streamed, shown as the explanation in the edit review;
// deltas pair with their action by clientToken, else by reply id.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ActionRuns } from "../../src/actionRuns";

test("deltas carrying a clientToken go to their action only", () => {
  const runs = new ActionRuns();
  const a = runs.begin("a");
  const b = runs.begin("b");
  assert.notEqual(a.token, b.token);
  runs.accept({ conversationId: "c1", messageId: "m1", content: "for b", clientToken: b.token });
  runs.accept({ conversationId: "c2", messageId: "m2", content: "panel chat", clientToken: "panel-token" });
  assert.equal(a.text, "");
  assert.equal(b.text, "for b");
});

test("without tokens: the first delta names the reply, later ones follow it, other replies are ignored", () => {
  const runs = new ActionRuns();
  const run = runs.begin();
  runs.accept({ conversationId: "c", messageId: "m", status: "waiting for gpt-4o" });
  runs.accept({ conversationId: "c", messageId: "m", content: "Here is " });
  runs.accept({ conversationId: "x", messageId: "other", content: "a chat in the panel" });
  runs.accept({ conversationId: "c", messageId: "m", content: "the fix." });
  assert.equal(run.messageId, "m");
  assert.equal(run.text, "Here is the fix.");
});

test("listeners hear each growth; the run an edit comes from is the latest with a reply", () => {
  const runs = new ActionRuns();
  const heard: string[] = [];
  const listening = runs.onText((run) => heard.push(run.text));
  const first = runs.begin("1");
  const second = runs.begin("2");
  runs.accept({ conversationId: "c", messageId: "m", content: "done", clientToken: first.token });
  assert.equal(runs.forEdit(), first, "the second has no reply yet");
  runs.accept({ conversationId: "c", messageId: "n", content: "also", clientToken: second.token });
  assert.equal(runs.forEdit(), second);
  listening.dispose();
  runs.accept({ conversationId: "c", messageId: "n", content: "!", clientToken: second.token });
  assert.deepEqual(heard, ["done", "also"]);
  runs.end(second);
  runs.end(first);
  assert.equal(runs.forEdit(), undefined);
  assert.equal(runs.accept({ conversationId: "c", messageId: "n", content: "late", clientToken: second.token }), undefined);
});
