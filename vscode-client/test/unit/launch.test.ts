import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { findOnPath, pickWheel, resolveLaunch, serverArgs, venvPython } from "../../src/launch";

test("launch order: setting, Python extension, managed venv, chatls on PATH", () => {
  const all = { settingPython: "/s/python", pythonExtension: "/p/python", managedPython: "/m/python", chatlsOnPath: "/bin/chatls" };
  assert.deepEqual(resolveLaunch(all), { source: "setting", command: "/s/python", args: ["-m", "chatls", "serve"] });
  assert.equal(resolveLaunch({ ...all, settingPython: undefined })?.command, "/p/python");
  assert.equal(resolveLaunch({ managedPython: "/m/python", chatlsOnPath: "/bin/chatls" })?.source, "managed");
  assert.deepEqual(resolveLaunch({ chatlsOnPath: "/bin/chatls", extraArgs: ["--log-level", "DEBUG"] }),
                   { source: "path", command: "/bin/chatls", args: ["serve", "--log-level", "DEBUG"] });
  assert.equal(resolveLaunch({}), undefined);
});

test("chatls.logLevel becomes --log-level unless the extra arguments set one", () => {
  assert.deepEqual(serverArgs([], "debug"), ["--log-level", "DEBUG"]);
  assert.deepEqual(serverArgs(["--pygls-log-level", "INFO"], "warning"), ["--pygls-log-level", "INFO", "--log-level", "WARNING"]);
  assert.deepEqual(serverArgs(["--log-level", "ERROR"], "debug"), ["--log-level", "ERROR"]);
  assert.deepEqual(serverArgs(["--log-level=ERROR"], "debug"), ["--log-level=ERROR"]);
  assert.deepEqual(serverArgs([], null), []);
  assert.deepEqual(serverArgs([], "loud"), []);
});

test("findOnPath finds executables only", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chatls-path-"));
  const other = fs.mkdtempSync(path.join(os.tmpdir(), "chatls-path-"));
  try {
    fs.writeFileSync(path.join(dir, "chatls"), "#!/bin/sh\n", { mode: 0o644 }); // not executable
    fs.writeFileSync(path.join(other, "chatls"), "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findOnPath("chatls", [dir, other].join(path.delimiter), "linux"), path.join(other, "chatls"));
    assert.equal(findOnPath("chatls", dir, "linux"), undefined);
    assert.equal(findOnPath("chatls", undefined, "linux"), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true });
    fs.rmSync(other, { recursive: true });
  }
});

test("venv interpreter and bundled wheel names", () => {
  assert.equal(venvPython("/g/venv", "linux"), path.join("/g/venv", "bin", "python"));
  assert.equal(venvPython("/g/venv", "win32"), path.join("/g/venv", "Scripts", "python.exe"));
  assert.equal(pickWheel(["README", "chatls-0.1.0-py3-none-any.whl", "other-1.0-py3-none-any.whl"]), "chatls-0.1.0-py3-none-any.whl");
  assert.equal(pickWheel(["chatls.tar.gz"]), undefined);
});
