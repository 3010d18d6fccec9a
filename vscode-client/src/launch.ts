/** Which command starts the server: pure resolution over what the environment offers. */

import * as fs from "node:fs";
import * as path from "node:path";

export type LaunchSource = "setting" | "python-extension" | "managed" | "path";

export interface LaunchCommand {
  source: LaunchSource;
  command: string;
  args: string[];
}

export interface LaunchInputs {
  /** `chatls.server.pythonPath`, already expanded; trusted as is. */
  settingPython?: string;
  /** The Python extension's interpreter, when it has chatls installed. */
  pythonExtension?: string;
  /** Interpreter of the venv made by "ChatLS: Set Up Server", when it exists. */
  managedPython?: string;
  /** Absolute path of a `chatls` executable on PATH. */
  chatlsOnPath?: string;
  extraArgs?: readonly string[];
}

/** `python -m chatls serve` for an interpreter. */
export function pythonCommand(source: LaunchSource, python: string, extraArgs: readonly string[] = []): LaunchCommand {
  return { source, command: python, args: ["-m", "chatls", "serve", ...extraArgs] };
}

/** First usable way to start the server, in the documented order; undefined when there is none. */
export function resolveLaunch(inputs: LaunchInputs): LaunchCommand | undefined {
  const extra = inputs.extraArgs ?? [];
  if (inputs.settingPython) {
    return pythonCommand("setting", inputs.settingPython, extra);
  }
  if (inputs.pythonExtension) {
    return pythonCommand("python-extension", inputs.pythonExtension, extra);
  }
  if (inputs.managedPython) {
    return pythonCommand("managed", inputs.managedPython, extra);
  }
  if (inputs.chatlsOnPath) {
    return { source: "path", command: inputs.chatlsOnPath, args: ["serve", ...extra] };
  }
  return undefined;
}

const LOG_LEVELS = ["debug", "info", "warning", "error"];

/**
 * Server arguments: `chatls.server.extraArgs`, plus `--log-level` from `chatls.logLevel` (the server reads its
 * log level from the command line, before any settings arrive) unless the extra arguments already set one.
 */
export function serverArgs(extraArgs: readonly string[], logLevel: unknown): string[] {
  const level = typeof logLevel === "string" ? logLevel.toLowerCase() : "";
  const explicit = extraArgs.some((arg) => arg === "--log-level" || arg.startsWith("--log-level="));
  return LOG_LEVELS.includes(level) && !explicit ? [...extraArgs, "--log-level", level.toUpperCase()] : [...extraArgs];
}

/** An executable named `name` on a PATH-like string, or undefined. */
export function findOnPath(name: string, pathValue: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  const names = platform === "win32" ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const candidate of names) {
      const full = path.join(dir, candidate);
      try {
        fs.accessSync(full, fs.constants.X_OK);
        if (fs.statSync(full).isFile()) {
          return full;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Interpreter inside a virtual environment directory. */
export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? path.join(venvDir, "Scripts", "python.exe") : path.join(venvDir, "bin", "python");
}

/** The newest `chatls-*.whl` in a directory listing. */
export function pickWheel(files: readonly string[]): string | undefined {
  return files.filter((f) => /^chatls-[^-]+-.+\.whl$/.test(f)).sort().at(-1);
}

/** One line for the log describing the launch (no environment values). */
export function describeLaunch(launch: LaunchCommand): string {
  const origin: Record<LaunchSource, string> = {
    setting: "chatls.server.pythonPath",
    "python-extension": "the Python extension's interpreter",
    managed: "the server set up by 'ChatLS: Set Up Server'",
    path: "chatls on PATH",
  };
  return `starting ${[launch.command, ...launch.args].join(" ")} (from ${origin[launch.source]})`;
}
