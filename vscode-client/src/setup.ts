/** "ChatLS: Set Up Server": a private venv in global storage with the chatls wheel shipped in the .vsix. */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { findOnPath, pickWheel, venvPython } from "./launch";
import { pythonExtensionInterpreter, runPython } from "./server";

function run(command: string, args: string[], log: vscode.LogOutputChannel, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve, reject) => {
    log.info(`$ ${command} ${args.join(" ")}`);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const cancel = token.onCancellationRequested(() => child.kill());
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (line.trim()) {
          log.info(line);
        }
      }
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", (error) => {
      cancel.dispose();
      reject(error);
    });
    child.on("close", (code) => {
      cancel.dispose();
      if (code === 0) {
        resolve();
      } else {
        reject(new Error(`${path.basename(command)} ${args[0] ?? ""} exited with ${code ?? "a signal"}`));
      }
    });
  });
}

/** A Python ≥ 3.10 to create the venv with. */
async function basePython(): Promise<string | undefined> {
  const candidates = [
    vscode.workspace.getConfiguration("chatls").get<string>("server.pythonPath", ""),
    await pythonExtensionInterpreter(),
    findOnPath("python3", process.env.PATH),
    findOnPath("python", process.env.PATH),
  ];
  for (const candidate of candidates) {
    if (!candidate) {
      continue;
    }
    try {
      // ensurepip: Debian's python3 needs the python3-venv package for `python -m venv` to work
      const ok = await runPython(candidate, "import sys, venv, ensurepip; print(sys.version_info >= (3, 10))");
      if (ok.trim() === "True") {
        return candidate;
      }
    } catch {
      // not usable
    }
  }
  return undefined;
}

/** Returns true when the server was installed. */
export async function setUpServer(context: vscode.ExtensionContext, venvDir: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const bundled = path.join(context.extensionPath, "bundled");
  const wheel = pickWheel(fs.existsSync(bundled) ? fs.readdirSync(bundled) : []);
  if (!wheel) {
    void vscode.window.showErrorMessage(
      "ChatLS: this copy of the extension has no bundled server. Install it yourself (pip install chatls) and set 'chatls.server.pythonPath'.");
    return false;
  }
  const python = await basePython();
  if (!python) {
    void vscode.window.showErrorMessage(
      "ChatLS: setting up the server needs Python 3.10 or newer with the venv module (python3 on PATH, or the Python extension's interpreter; on Debian/Ubuntu also the python3-venv package).");
    return false;
  }
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "ChatLS: setting up the server", cancellable: true },
      async (progress, token) => {
        progress.report({ message: "creating a virtual environment" });
        fs.mkdirSync(path.dirname(venvDir), { recursive: true });
        await run(python, ["-m", "venv", "--clear", venvDir], log, token);
        progress.report({ message: "installing chatls and its dependencies from PyPI" });
        await run(venvPython(venvDir), ["-m", "pip", "install", "--disable-pip-version-check", path.join(bundled, wheel)], log, token);
      },
    );
    void vscode.window.showInformationMessage(`ChatLS: server installed in ${venvDir}.`);
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error(`server set-up failed: ${reason}`);
    const choice = await vscode.window.showErrorMessage(
      `ChatLS: setting up the server failed (${reason}). pip needs access to PyPI; see the log for details.`, "Show Log");
    if (choice === "Show Log") {
      log.show();
    }
    return false;
  }
}
