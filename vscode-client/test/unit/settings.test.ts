import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import {
  CLIENT_ONLY_KEYS, SERVER_KEYS, apiKeyEnvName, expandPath, initializationOptions, needsRestart, profilesFromSetting, serverSection, usesApiKey,
} from "../../src/settings";
import { parseServerLine } from "../../src/serverLog";

test("serverSection drops client-only keys and unset defaults", () => {
  const section = {
    profiles: [{ name: "a", endpoint: "http://x", deployment: "d" }],
    defaultProfile: "",
    instructions: "Be brief.",
    reasoningEffort: "",
    stateDir: "",
    maxHistoryMessages: null,
    server: { pythonPath: "/venv/bin/python", extraArgs: [] },
    trace: { server: "verbose" },
  };
  assert.deepEqual(serverSection(section), {
    profiles: [{ name: "a", endpoint: "http://x", deployment: "d" }],
    instructions: "Be brief.",
  });
  assert.deepEqual(serverSection(null), {});
  // values the user set are passed as they are (the server validates them and names a bad key)
  assert.deepEqual(serverSection({ retryMaxAttempts: "many", reasoningEffort: "high", contextLines: 0 }),
                   { retryMaxAttempts: "many", reasoningEffort: "high", contextLines: 0 });
});

test("initializationOptions reads only server keys through the getter", () => {
  const asked: string[] = [];
  const values: Record<string, unknown> = { defaultProfile: "deep", instructions: "", retryMaxAttempts: 2, stateDir: null };
  const options = initializationOptions((key) => {
    asked.push(key);
    return values[key];
  });
  assert.deepEqual(options, { defaultProfile: "deep", retryMaxAttempts: 2 });
  assert.ok(!asked.some((k) => k.startsWith("server") || k.startsWith("trace")));
});

test("restart only for settings that change how the server starts", () => {
  const changed = (keys: string[]) => (section: string) => keys.some((k) => k === section || k.startsWith(`${section}.`));
  assert.equal(needsRestart(changed(["chatls.server.pythonPath"])), true);
  assert.equal(needsRestart(changed(["chatls.profiles"])), true);
  assert.equal(needsRestart(changed(["chatls.stateDir"])), true); // the server opens its database once
  assert.equal(needsRestart(changed(["chatls.logLevel"])), true); // a command-line argument
  assert.equal(needsRestart(changed(["chatls.defaultProfile"])), false); // re-read live
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

test("contributed settings are exactly the server's keys plus the client-only ones", () => {
  const root = path.resolve(__dirname, "../../..");
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { items?: { properties: Record<string, unknown> } }> } };
  };
  const properties = pkg.contributes.configuration.properties;
  const contributed = Object.keys(properties).map((k) => k.replace(/^chatls\./, ""));
  const serverSide = contributed.filter((k) => !CLIENT_ONLY_KEYS.some((c) => k.startsWith(`${c}.`)));
  assert.deepEqual([...serverSide].sort(), [...SERVER_KEYS].sort());
  // package.json's settings and profile schema are generated from the server's declarations
  // (server/chatls/settings_spec.py, azure/profile.py PROFILE_KEYS; scripts/gen_settings.py --check in the
  // Python tests), so matching package.json is matching the server.
});

test("server stderr lines get their own level, continuation lines follow the record", () => {
  const info = parseServerLine("2026-11-21 23:16:50,670 INFO chatls.server: ready", undefined);
  assert.deepEqual(info, { level: "info", text: "INFO chatls.server: ready" });
  const warning = parseServerLine("2026-11-21 23:16:50,670 WARNING pygls: odd", info.level);
  assert.equal(warning.level, "warn");
  const error = parseServerLine("2026-11-21 23:16:50,670 ERROR chatls: boom", warning.level);
  assert.equal(parseServerLine("Traceback (most recent call last):", error.level).level, "error");
  assert.equal(parseServerLine("some library noise", undefined).level, "warn");
  assert.equal(parseServerLine("2026-11-21 23:16:50 DEBUG x: y", undefined).level, "debug");
});
