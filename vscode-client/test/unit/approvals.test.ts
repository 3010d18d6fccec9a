// The agent's approvals recognised among window/showMessageRequest requests, in the wording the server uses
// (server/chatls/agent/host.py, tools.py); anything else stays a notification.
import assert from "node:assert/strict";
import { test } from "node:test";
import { answerFor, parseApproval } from "../../src/approvals";

const RUN = [{ title: "Run" }, { title: "Don't run" }];
const ALLOW = [{ title: "Allow" }, { title: "Deny" }];

test("a command approval names the command line and the step run_command", () => {
  const request = { type: 2, message: "ChatLS agent wants to run: pytest -q tests/a b", actions: RUN };
  assert.deepEqual(parseApproval(request), {
    kind: "command", tool: "run_command", subject: "pytest -q tests/a b", yes: "Run", no: "Don't run" });
  assert.deepEqual(answerFor(request, true), { title: "Run" });
  assert.deepEqual(answerFor(request, false), { title: "Don't run" });
  assert.equal(answerFor(request, null), null);
});

test("an MCP tool approval names the tool and its arguments", () => {
  const request = { type: 2, message: 'Let the agent call the MCP tool git__git_status with {"repo_path": "."}?', actions: ALLOW };
  assert.deepEqual(parseApproval(request), {
    kind: "tool", tool: "git__git_status", subject: '{"repo_path": "."}', yes: "Allow", no: "Deny" });
});

test("edits asked without a review name the files", () => {
  const request = { type: 2, message: "Apply the ChatLS agent's changes to src/a.py, src/b.py (+2 -2 lines)?", actions: ALLOW };
  assert.equal(parseApproval(request)?.kind, "edits");
  assert.equal(parseApproval(request)?.subject, "src/a.py, src/b.py (+2 -2 lines)");
});

test("other message requests are not approvals", () => {
  assert.equal(parseApproval({ type: 2, message: "Restart the server?", actions: ALLOW }), undefined);
  assert.equal(parseApproval({ type: 2, message: "ChatLS agent wants to run: ls", actions: [{ title: "OK" }] }), undefined);
  assert.equal(parseApproval({ type: 2, message: "ChatLS agent wants to run: ls", actions: null }), undefined);
});
