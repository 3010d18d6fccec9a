// API keys reach the server's environment, and never a log line (checked with a canary key).
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildServerEnv, redact } from "../../src/env";
import { describeLaunch, pythonCommand } from "../../src/launch";

const CANARY = "sk-canary-7f3a9c1e5b";
const OTHER = "sk-other-0d2e4f6a8c";

test("stored keys go into the variable each profile names; descriptions never hold a key", () => {
  const base = { PATH: "/usr/bin", AZURE_OPENAI_API_KEY: "from-shell", UNSET: undefined };
  const result = buildServerEnv(base, [
    { name: "main" },
    { name: "gateway", apiKeyEnv: "GATEWAY_KEY" },
    { name: "sso", auth: "entra" },
    { name: "nokey" },
  ], new Map([["main", CANARY], ["gateway", OTHER], ["sso", "ignored-secret"]]));
  assert.equal(result.env.AZURE_OPENAI_API_KEY, CANARY, "a stored key wins over the shell's");
  assert.equal(result.env.GATEWAY_KEY, OTHER);
  assert.equal(result.env.PATH, "/usr/bin");
  assert.ok(!("UNSET" in result.env));
  assert.ok(!Object.values(result.env).includes("ignored-secret"), "entra profiles get no key");
  assert.deepEqual(result.viaRequest, []);
  assert.equal(result.described.length, 2);
  for (const line of result.described) {
    assert.ok(!line.includes(CANARY) && !line.includes(OTHER), line);
  }
  assert.match(result.described[0], /'main'.*\$AZURE_OPENAI_API_KEY/);
});

test("two profiles sharing a variable with different keys: the second goes by request", () => {
  const result = buildServerEnv({}, [{ name: "a" }, { name: "b" }, { name: "c" }],
                                new Map([["a", CANARY], ["b", OTHER], ["c", CANARY]]));
  assert.equal(result.env.AZURE_OPENAI_API_KEY, CANARY);
  assert.deepEqual(result.viaRequest, ["b"]);
  assert.ok(result.described.every((l) => !l.includes(CANARY) && !l.includes(OTHER)));
});

test("the launch description never carries the environment", () => {
  const { env } = buildServerEnv({}, [{ name: "main" }], new Map([["main", CANARY]]));
  const line = describeLaunch(pythonCommand("setting", "/venv/bin/python", ["--log-level", "DEBUG"]));
  assert.equal(line, "starting /venv/bin/python -m chatls serve --log-level DEBUG (from chatls.server.pythonPath)");
  assert.ok(!line.includes(CANARY));
  assert.equal(env.AZURE_OPENAI_API_KEY, CANARY);
});

test("redact replaces every occurrence of a secret", () => {
  assert.equal(redact(`key=${CANARY} again ${CANARY}`, [CANARY]), "key=*** again ***");
  assert.equal(redact("short k", ["k"]), "short k", "too-short strings are not treated as secrets");
});
