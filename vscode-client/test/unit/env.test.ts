// Stored API keys reach the server by request for exactly their profile, never the environment or a log line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildServerEnv, redact } from "../../src/env";
import { describeLaunch, pythonCommand } from "../../src/launch";

const CANARY = "sk-canary-7f3a9c1e5b";
const OTHER = "sk-other-0d2e4f6a8c";

test("stored keys never enter the environment: each goes to its own profile by request", () => {
  const base = { PATH: "/usr/bin", AZURE_OPENAI_API_KEY: "from-shell", UNSET: undefined };
  const result = buildServerEnv(base, [
    { name: "main" },
    { name: "gateway", apiKeyEnv: "GATEWAY_KEY" },
    { name: "sso", auth: "entra" },
    { name: "nokey" },
  ], new Map([["main", CANARY], ["gateway", OTHER], ["sso", "ignored-secret"]]));
  assert.equal(result.env.AZURE_OPENAI_API_KEY, "from-shell", "the shell's own variable is left alone");
  assert.ok(!("GATEWAY_KEY" in result.env));
  assert.equal(result.env.PATH, "/usr/bin");
  assert.ok(!("UNSET" in result.env));
  for (const value of [CANARY, OTHER, "ignored-secret"]) {
    assert.ok(!Object.values(result.env).includes(value), "no stored key in the environment");
  }
  assert.deepEqual(result.viaRequest, ["main", "gateway"], "entra profiles get no key");
  assert.equal(result.described.length, 3);
  for (const line of result.described) {
    assert.ok(!line.includes(CANARY) && !line.includes(OTHER) && !line.includes("from-shell"), line);
  }
  assert.match(result.described[2], /'nokey'.*\$AZURE_OPENAI_API_KEY \(set\)/);
});

test("profiles sharing a variable never borrow each other's stored key", () => {
  // the bug: a key stored for 'a' went into AZURE_OPENAI_API_KEY, which 'b' (no key of its own) then used
  const result = buildServerEnv({}, [{ name: "a" }, { name: "b" }, { name: "c" }], new Map([["a", CANARY], ["c", OTHER]]));
  assert.ok(!("AZURE_OPENAI_API_KEY" in result.env));
  assert.deepEqual(result.viaRequest, ["a", "c"]);
  assert.match(result.described[1], /'b'.*not set/);
  assert.ok(result.described.every((l) => !l.includes(CANARY) && !l.includes(OTHER)));
});

test("the launch description never carries the environment", () => {
  const line = describeLaunch(pythonCommand("setting", "/venv/bin/python", ["--log-level", "DEBUG"]));
  assert.equal(line, "starting /venv/bin/python -m chatls serve --log-level DEBUG (from chatls.server.pythonPath)");
  assert.ok(!line.includes(CANARY));
});

test("redact replaces every occurrence of a secret", () => {
  assert.equal(redact(`key=${CANARY} again ${CANARY}`, [CANARY]), "key=*** again ***");
  assert.equal(redact("short k", ["k"]), "short k", "too-short strings are not treated as secrets");
});
