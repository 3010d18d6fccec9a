import assert from "node:assert/strict";
import { test } from "node:test";
import { setupFailureMessage, stepFailureDetail } from "../../src/setupMessages";

test("no usable Python: names what was tried and how to get a usable one", () => {
  const { text, offerLog } = setupFailureMessage({ kind: "noPython", tried: ["/usr/bin/python3", "/opt/py39/python"] });
  assert.match(text, /no usable Python found/);
  assert.match(text, /none of \/usr\/bin\/python3, \/opt\/py39\/python is Python 3\.10 or newer with the venv module/);
  assert.match(text, /Install Python 3\.10 or newer/);
  assert.match(text, /python3-venv/);
  assert.match(text, /set 'chatls\.server\.pythonPath'/);
  assert.match(text, /run 'ChatLS: Set Up Server' again/);
  assert.equal(offerLog, false);
});

test("no Python anywhere: says that nothing was found rather than listing nothing", () => {
  const { text } = setupFailureMessage({ kind: "noPython", tried: [] });
  assert.match(text, /no python3 or python on PATH/);
  assert.doesNotMatch(text, /none of \)/);
});

test("venv creation fails: names the folder, the Python and the cause, and what to check", () => {
  const detail = stepFailureDetail("python3 -m venv", 1, "The virtual environment was not created successfully because ensurepip is not available.");
  const { text, offerLog } = setupFailureMessage({
    kind: "step", step: "venv", python: "/usr/bin/python3", venvDir: "/home/ana/.vscode/chatls/venv", detail,
  });
  assert.match(text, /creating a virtual environment in \/home\/ana\/\.vscode\/chatls\/venv with \/usr\/bin\/python3 failed/);
  assert.match(text, /python3 -m venv exited with status 1: The virtual environment was not created successfully/);
  assert.match(text, /install python3-venv/);
  assert.match(text, /folder is writable/);
  assert.match(text, /run 'ChatLS: Set Up Server' again/);
  assert.equal(offerLog, true);
});

test("pip install fails: says pip failed, why, and that it needs PyPI", () => {
  const detail = stepFailureDetail("python -m pip", 1, "ERROR: Could not find a version that satisfies the requirement pygls==2.1.1");
  const { text, offerLog } = setupFailureMessage({
    kind: "step", step: "pip", python: "/usr/bin/python3", venvDir: "/v", detail,
  });
  assert.match(text, /installing chatls with pip failed \(python -m pip exited with status 1: ERROR: Could not find a version/);
  assert.match(text, /PyPI/);
  assert.match(text, /network connection or proxy/);
  assert.match(text, /run 'ChatLS: Set Up Server' again/);
  assert.match(text, /log has pip's output/);
  assert.equal(offerLog, true);
});

test("a failed step's detail: exit status, or killed, and the last line printed when there was one", () => {
  assert.equal(stepFailureDetail("python -m pip", 2, "  ERROR: no space left  "), "python -m pip exited with status 2: ERROR: no space left");
  assert.equal(stepFailureDetail("python -m pip", 1, undefined), "python -m pip exited with status 1");
  assert.equal(stepFailureDetail("python -m venv", null, ""), "python -m venv was killed");
});

test("no bundled server and cancelling: each says what to do next", () => {
  const noWheel = setupFailureMessage({ kind: "noWheel" }).text;
  assert.match(noWheel, /not on any package registry.*pip install \.\/chatls.*chatls\.server\.pythonPath/);
  assert.doesNotMatch(noWheel, /pip install chatls\b/, "no registry package named chatls exists");
  assert.match(setupFailureMessage({ kind: "cancelled" }).text, /cancelled; run 'ChatLS: Set Up Server'/);
});
