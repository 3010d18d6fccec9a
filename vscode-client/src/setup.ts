/** "ChatLS: Set Up Server": a private venv in global storage with the chatls wheel shipped in the .vsix. */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { findOnPath, pickWheel, venvPython } from "./launch";
import { pythonExtensionInterpreter, runPython } from "./server";
import { SetupFailure, SetupStep, setupFailureMessage, stepFailureDetail } from "./setupMessages";

/** A set-up command that failed; `detail` says how, for the message. */
class StepError extends Error {
  constructor(readonly step: SetupStep, readonly detail: string) {
    super(detail);
  }
}

function run(
  step: SetupStep, command: string, args: string[], log: vscode.LogOutputChannel, token: vscode.CancellationToken,
): Promise<void> {
  return new Promise((resolve, reject) => {
    log.info(`$ ${command} ${args.join(" ")}`);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const cancel = token.onCancellationRequested(() => child.kill());
    let lastLine: string | undefined;
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (line.trim()) {
          log.info(line);
          lastLine = line;
        }
      }
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", (error) => {
      cancel.dispose();
      reject(new StepError(step, `${command} could not be started: ${error.message}`));
    });
    child.on("close", (code) => {
      cancel.dispose();
      if (code === 0) {
        resolve();
      } else {
        reject(new StepError(step, stepFailureDetail(`${path.basename(command)} ${args.slice(0, 2).join(" ")}`, code, lastLine)));
      }
    });
  });
}

/** A Python ≥ 3.10 to create the venv with, or the candidates that were tried and found unusable. */
async function basePython(): Promise<{ python: string } | { tried: string[] }> {
  const candidates = [
    vscode.workspace.getConfiguration("chatls").get<string>("server.pythonPath", ""),
    await pythonExtensionInterpreter(),
    findOnPath("python3", process.env.PATH),
    findOnPath("python", process.env.PATH),
  ];
  const tried: string[] = [];
  for (const candidate of candidates) {
    if (!candidate) {
      continue;
    }
    tried.push(candidate);
    try {
      // ensurepip: Debian's python3 needs the python3-venv package for `python -m venv` to work
      const ok = await runPython(candidate, "import sys, venv, ensurepip; print(sys.version_info >= (3, 10))");
      if (ok.trim() === "True") {
        return { python: candidate };
      }
    } catch {
      // not usable
    }
  }
  return { tried };
}

async function report(failure: SetupFailure, log: vscode.LogOutputChannel): Promise<false> {
  const message = setupFailureMessage(failure);
  log.error(message.text);
  if (!message.offerLog) {
    void vscode.window.showErrorMessage(message.text); // not awaited: the notification may stay up for long
    return false;
  }
  if ((await vscode.window.showErrorMessage(message.text, "Show Log")) === "Show Log") {
    log.show();
  }
  return false;
}

/** Returns true when the server was installed. */
export async function setUpServer(context: vscode.ExtensionContext, venvDir: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const bundled = path.join(context.extensionPath, "bundled");
  const wheel = pickWheel(fs.existsSync(bundled) ? fs.readdirSync(bundled) : []);
  if (!wheel) {
    return report({ kind: "noWheel" }, log);
  }
  const found = await basePython();
  if (!("python" in found)) {
    return report({ kind: "noPython", tried: found.tried }, log);
  }
  const python = found.python;
  let cancelled = false;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "ChatLS: setting up the server", cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => {
          cancelled = true;
        });
        progress.report({ message: "creating a virtual environment" });
        fs.mkdirSync(path.dirname(venvDir), { recursive: true });
        await run("venv", python, ["-m", "venv", "--clear", venvDir], log, token);
        progress.report({ message: `installing the server shipped with the extension (${wheel}); its dependencies come from PyPI` });
        await run("pip", venvPython(venvDir), ["-m", "pip", "install", "--disable-pip-version-check", path.join(bundled, wheel)], log, token);
      },
    );
    void vscode.window.showInformationMessage(`ChatLS: server installed in ${venvDir}.`);
    return true;
  } catch (error) {
    if (cancelled) {
      return report({ kind: "cancelled" }, log);
    }
    // mkdir failing is part of creating the venv
    const step: SetupStep = error instanceof StepError ? error.step : "venv";
    const detail = error instanceof StepError ? error.detail : error instanceof Error ? error.message : String(error);
    return report({ kind: "step", step, python, venvDir, detail }, log);
  }
}
