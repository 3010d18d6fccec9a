// src/protocol.ts must mirror server/chatls/protocol.py: same constants, same payload fields (camelCase).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as P from "../../src/protocol";

const root = path.resolve(__dirname, "../../..");
const python = fs.readFileSync(path.join(root, "..", "server", "chatls", "protocol.py"), "utf8");
const typescript = fs.readFileSync(path.join(root, "src", "protocol.ts"), "utf8");

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `NAME = "value"` assignments at module level. */
function pythonConstants(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of python.matchAll(/^([A-Z][A-Z_]+) = "([^"]*)"/gm)) {
    found.set(match[1], match[2]);
  }
  return found;
}

/** attrs classes -> their field names (camelCase). */
function pythonClasses(): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  const blocks = python.split(/^@attrs\.define\n/m).slice(1);
  for (const block of blocks) {
    const header = /^class (\w+)/.exec(block);
    if (!header) continue;
    const body = block.split(/\n(?=\S)/)[0];
    const fields = [...body.matchAll(/^ {4}(\w+): /gm)].map((m) => camel(m[1]));
    classes.set(header[1], fields);
  }
  return classes;
}

/** `export interface X { ... }` -> field names. */
function typescriptInterfaces(): Map<string, string[]> {
  const interfaces = new Map<string, string[]>();
  for (const match of typescript.matchAll(/export interface (\w+)(?: extends [\w, ]+)? \{([\s\S]*?)\n\}/g)) {
    interfaces.set(match[1], [...match[2].matchAll(/^ {2}(\w+)\??: /gm)].map((m) => m[1]));
  }
  return interfaces;
}

test("every Python constant exists in protocol.ts with the same value", () => {
  const constants = pythonConstants();
  assert.ok(constants.size >= 25, `parsed only ${constants.size} constants`);
  const exported = P as unknown as Record<string, unknown>;
  for (const [name, value] of constants) {
    assert.equal(exported[name], value, `${name} differs`);
  }
});

test("request, command and action lists match the server's", () => {
  assert.deepEqual([...P.REQUESTS].sort(), [P.CHAT, P.CONVERSATIONS, P.CONVERSATION, P.DELETE_CONVERSATION, P.MODELS, P.SET_API_KEY, P.BUDGET, P.RENAME_CONVERSATION].sort());
  const tuple = (name: string): string[] => {
    const body = new RegExp(`^${name} = \\(([\\s\\S]*?)\\)`, "m").exec(python)?.[1] ?? "";
    return body.split(",").map((s) => s.trim()).filter(Boolean);
  };
  const constants = pythonConstants();
  // the action commands come from the generated table, which tests/actions/test_action_table.py checks
  const actionCommands = P.ACTIONS.map((action) => action.command);
  const resolve = (names: string[]): string[] => names.flatMap((n) =>
    n === "*ACTION_COMMANDS" ? actionCommands : [constants.get(n) ?? `?${n}`]);
  assert.deepEqual([...P.ACTION_COMMANDS], actionCommands);
  assert.deepEqual([...P.COMMANDS], resolve(tuple("COMMANDS")));
});

test("every action has a known kind and a title, and says what it takes", () => {
  assert.ok(P.ACTIONS.length >= 7);
  for (const action of P.ACTIONS) {
    assert.ok([P.KIND_QUICKFIX, P.KIND_REWRITE, P.KIND_EXPLAIN].includes(action.kind), action.command);
    assert.ok(action.command.startsWith("chatls.") && action.title && action.request, action.command);
    assert.equal(P.actionSpec(action.command), action);
    assert.equal(action.instruction === "none", action.instructionPrompt === "", action.command);
  }
  assert.equal(P.actionSpec(P.CMD_CHAT), undefined);
});

test("every payload class has a TS interface with the same camelCase fields", () => {
  const classes = pythonClasses();
  const interfaces = typescriptInterfaces();
  assert.ok(classes.size >= 15, `parsed only ${classes.size} classes`);
  for (const [name, fields] of classes) {
    if (name === "RawRequest" || name.startsWith("_")) continue; // server-internal envelopes, never on the wire
    if (name === "ModelInfo") continue; // sent flat (the profile's keys spread beside `default`): models.ts reads it
    assert.ok(interfaces.has(name), `protocol.ts lacks interface ${name}`);
    assert.deepEqual(interfaces.get(name), fields, `fields of ${name}`);
  }
});

test("isSelectionArgs and isCancelledError recognise their shapes", () => {
  const range = { start: { line: 0, character: 1 }, end: { line: 0, character: 4 } };
  assert.equal(P.isSelectionArgs({ uri: "file:///a.py", range }), true);
  assert.equal(P.isSelectionArgs({ uri: "file:///a.py" }), false);
  assert.equal(P.isSelectionArgs(null), false);
  assert.equal(P.isCancelledError({ code: -32800, message: "cancelled" }), true);
  assert.equal(P.isCancelledError({ code: -32603 }), false);
  assert.equal(P.isCancelledError(new Error("x")), false);
});
