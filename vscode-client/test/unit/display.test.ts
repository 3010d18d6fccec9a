import assert from "node:assert/strict";
import { test } from "node:test";
import { formatUsage, statusAt, unseenNotes } from "../../src/format";
import { activeProfile, choicesFromModels, choicesFromSettings } from "../../src/models";
import { contentSecurityPolicy, makeNonce, renderWebviewHtml } from "../../src/webviewHtml";

test("usage shows reasoning and cached tokens only when present", () => {
  assert.equal(formatUsage({ promptTokens: 1234, completionTokens: 56, reasoningTokens: 0, cachedTokens: 0 }),
               "1,234 in · 56 out tokens");
  assert.equal(formatUsage({ promptTokens: 10, completionTokens: 900, reasoningTokens: 800, cachedTokens: 5 }),
               "10 in · 900 out (800 reasoning) · 5 cached tokens");
});

test("status line counts thinking time up and retry waits down", () => {
  assert.equal(statusAt("thinking 12 s", 0), "thinking 12 s");
  assert.equal(statusAt("thinking 12 s", 3.7), "thinking 15 s");
  assert.equal(statusAt("rate limited, retrying in 8 s", 3), "rate limited, retrying in 5 s");
  assert.equal(statusAt("rate limited, retrying in 8 s", 30), "rate limited, retrying in 0 s");
  assert.equal(statusAt("connecting", 9), "connecting");
});

test("adaptation notes are shown once", () => {
  assert.deepEqual(unseenNotes(["a", "b", "a", "c"], new Set(["b"])), ["a", "c"]);
  assert.deepEqual(unseenNotes([], new Set()), []);
});

test("chatls/models results become picker choices", () => {
  const choices = choicesFromModels([
    { name: "fast", model: "gpt-4o", capabilities: { reasoning: false } },
    { profile: "deep", deployment: ["o3-a", "o3-b"], capabilities: { reasoning: true, details: { reasoning_efforts: ["low", "high"] } } },
    { nothing: true },
  ]);
  assert.deepEqual(choices, [
    { name: "fast", model: "gpt-4o", reasoning: false, reasoningEfforts: [] },
    { name: "deep", model: "o3-a", reasoning: true, reasoningEfforts: ["low", "high"] },
  ]);
  assert.deepEqual(choicesFromModels({ profiles: [{ name: "x" }] }).map((c) => c.name), ["x"]);
  assert.deepEqual(choicesFromModels("bad"), []);
  assert.deepEqual(choicesFromSettings([{ name: "s", deployment: "dep" }]),
                   [{ name: "s", model: "dep", reasoning: false, reasoningEfforts: [] }]);
  assert.equal(activeProfile(choices, "deep", "fast"), "deep");
  assert.equal(activeProfile(choices, "gone", "fast"), "fast");
  assert.equal(activeProfile(choices, undefined, "gone"), "fast");
  assert.equal(activeProfile([], undefined, undefined), null);
});

test("webview HTML: strict CSP, nonce on the only script, nothing remote", () => {
  const nonce = makeNonce();
  assert.notEqual(nonce, makeNonce());
  const html = renderWebviewHtml({ cspSource: "vscode-webview://abc", nonce, scriptUri: "vscode-webview://abc/dist/webview.js",
                                    styleUri: "vscode-webview://abc/media/chat.css" });
  const csp = contentSecurityPolicy("vscode-webview://abc", nonce);
  assert.ok(html.includes(`content="${csp}"`));
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal([...html.matchAll(/<script /g)].length, 1);
  assert.ok(html.includes(`<script nonce="${nonce}" src="vscode-webview://abc/dist/webview.js">`));
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, / style=/);
});
