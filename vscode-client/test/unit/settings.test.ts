import assert from "node:assert/strict";
import { test } from "node:test";
import {
  apiKeyEnvName, expandPath, initializationOptions, needsRestart, profilesFromSetting, serverSection, usesApiKey,
} from "../../src/settings";

test("serverSection drops client-only keys and unset defaults", () => {
  const section = {
    profiles: [{ name: "a", endpoint: "http://x", deployment: "d" }],
    defaultProfile: "",
    instructions: "Be brief.",
    reasoningEffort: "",
    stateDir: "",
    limits: {},
    server: { pythonPath: "/venv/bin/python", extraArgs: [] },
    trace: { server: "verbose" },
  };
  assert.deepEqual(serverSection(section), {
    profiles: [{ name: "a", endpoint: "http://x", deployment: "d" }],
    instructions: "Be brief.",
  });
  assert.deepEqual(serverSection(null), {});
  // values the user set are passed as they are (the server validates them and names a bad key)
  assert.deepEqual(serverSection({ limits: { maxRetries: "many" }, reasoningEffort: "high" }),
                   { limits: { maxRetries: "many" }, reasoningEffort: "high" });
});

test("initializationOptions reads only server keys through the getter", () => {
  const asked: string[] = [];
  const values: Record<string, unknown> = { defaultProfile: "deep", instructions: "", limits: { maxRetries: 2 } };
  const options = initializationOptions((key) => {
    asked.push(key);
    return values[key];
  });
  assert.deepEqual(options, { defaultProfile: "deep", limits: { maxRetries: 2 } });
  assert.ok(!asked.some((k) => k.startsWith("server") || k.startsWith("trace")));
});

test("restart only for settings that change how the server starts", () => {
  const changed = (keys: string[]) => (section: string) => keys.some((k) => k === section || k.startsWith(`${section}.`));
  assert.equal(needsRestart(changed(["chatls.server.pythonPath"])), true);
  assert.equal(needsRestart(changed(["chatls.profiles"])), true);
  assert.equal(needsRestart(changed(["chatls.instructions"])), false);
  assert.equal(needsRestart(changed(["chatls.trace.server"])), false);
});

test("profiles: invalid entries dropped, key variable and auth defaults", () => {
  const profiles = profilesFromSetting([{ name: "a" }, { name: "" }, { endpoint: "x" }, "b", null,
                                        { name: "e", auth: "entra", apiKeyEnv: " MY_KEY " }]);
  assert.deepEqual(profiles.map((p) => p.name), ["a", "e"]);
  assert.equal(apiKeyEnvName(profiles[0]), "AZURE_OPENAI_API_KEY");
  assert.equal(apiKeyEnvName(profiles[1]), "MY_KEY");
  assert.equal(usesApiKey(profiles[0]), true);
  assert.equal(usesApiKey(profiles[1]), false);
  assert.deepEqual(profilesFromSetting("nope"), []);
});

test("expandPath handles ${workspaceFolder}, ~ and relative paths", () => {
  assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", "/ws", "/home/u"), "/ws/.venv/bin/python");
  assert.equal(expandPath("~/venv/bin/python", "/ws", "/home/u"), "/home/u/venv/bin/python");
  assert.equal(expandPath(".venv/bin/python", "/ws", "/home/u"), "/ws/.venv/bin/python");
  assert.equal(expandPath("python3", "/ws", "/home/u"), "python3");
  assert.equal(expandPath("/usr/bin/python3", "/ws", "/home/u"), "/usr/bin/python3");
});
