/** Starts, stops and restarts the ChatLS language server, and carries the custom requests to it. */

import * as os from "node:os";
import * as path from "node:path";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";
import * as vscode from "vscode";
import {
  type CancellationToken,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type MessageActionItem,
  MessageType,
  type Middleware,
  type ServerOptions,
  ShowMessageRequest,
  type ShowMessageRequestParams,
  State,
  Trace,
} from "vscode-languageclient/node";
import * as readline from "node:readline";
import { buildServerEnv } from "./env";
import { type LogLevelName, parseServerLine } from "./serverLog";
import {
  describeLaunch,
  findOnPath,
  type LaunchCommand,
  resolveLaunch,
  serverArgs,
  venvPython,
} from "./launch";
import { showProgressAsNotifications } from "./progress";
import * as P from "./protocol";
import type { ApiKeys } from "./secrets";
import { expandPath, initializationOptions, profilesFromSetting, serverSection } from "./settings";

export type ServerState = "starting" | "running" | "stopped" | "failed";

/** Hooks the rest of the extension plugs into the client. */
export interface ServerHooks {
  executeCommand: NonNullable<Middleware["executeCommand"]>;
  /** ChatLS's proposed edits go to review (review.ts) instead of VS Code's refactor preview. */
  handleApplyEdit: NonNullable<NonNullable<Middleware["workspace"]>["handleApplyEdit"]>;
  /**
   * The server's `window/showMessageRequest`: the agent's approvals may be asked in the chat panel; `native`
   * asks the way vscode-languageclient does (a notification with the actions as buttons).
   */
  showMessageRequest: (params: ShowMessageRequestParams, native: () => Promise<MessageActionItem | null>)
    => Promise<MessageActionItem | null>;
}

/** vscode-languageclient's own answer to `window/showMessageRequest`: a notification of the message's type. */
export async function nativeMessageRequest(params: ShowMessageRequestParams): Promise<MessageActionItem | null> {
  const actions = params.actions ?? [];
  const show = params.type === MessageType.Error ? vscode.window.showErrorMessage
    : params.type === MessageType.Warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  return (await show(params.message, ...actions)) ?? null;
}

export class ChatLSServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<{ state: ServerState; message?: string }>();
  private readonly deltaEmitter = new vscode.EventEmitter<P.DeltaNotification>();
  private current: ServerState = "stopped";
  private lastMessage: string | undefined;

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDelta = this.deltaEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly keys: ApiKeys,
    private readonly hooks: ServerHooks,
  ) {}

  get state(): ServerState {
    return this.current;
  }

  get stateMessage(): string | undefined {
    return this.lastMessage;
  }

  /** Directory of the venv made by "ChatLS: Set Up Server". */
  get managedVenv(): string {
    return path.join(this.context.globalStorageUri.fsPath, "server-venv");
  }

  private setState(state: ServerState, message?: string): void {
    this.current = state;
    this.lastMessage = message;
    this.stateEmitter.fire({ state, message });
  }

  async start(): Promise<void> {
    if (!this.starting) {
      this.starting = this.doStart().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log.warn(`stopping the server: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.setState("stopped");
  }

  private async resolveLaunchCommand(): Promise<LaunchCommand | undefined> {
    const config = vscode.workspace.getConfiguration("chatls");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const setting = config.get<string>("server.pythonPath", "");
    const extraArgs = serverArgs(config.get<string[]>("server.extraArgs", []), config.get("logLevel"));
    const settingPython = setting ? expandPath(setting, folder, os.homedir()) : undefined;
    let pythonExtension: string | undefined;
    if (!settingPython) {
      const candidate = await pythonExtensionInterpreter();
      if (candidate && (await hasChatls(candidate))) {
        pythonExtension = candidate;
      } else if (candidate) {
        this.log.info(`the Python extension's interpreter ${candidate} has no chatls package; not using it`);
      }
    }
    const managed = venvPython(this.managedVenv);
    return resolveLaunch({
      settingPython,
      pythonExtension,
      managedPython: fs.existsSync(managed) ? managed : undefined,
      chatlsOnPath: findOnPath("chatls", process.env.PATH),
      extraArgs,
    });
  }

  private async doStart(): Promise<void> {
    if (this.client) {
      return;
    }
    this.setState("starting");
    const launch = await this.resolveLaunchCommand();
    if (!launch) {
      const message = "ChatLS: no server found. Run 'ChatLS: Set Up Server' to install the server this extension "
        + "ships into a private virtual environment, or set 'chatls.server.pythonPath' to a Python where you "
        + "installed chatls from a clone (pip install ./chatls).";
      this.log.error(message);
      this.setState("failed", message);
      void vscode.window.showErrorMessage(message, "Set Up Server", "Open Settings").then((choice) => {
        if (choice === "Set Up Server") {
          void vscode.commands.executeCommand("chatls.client.setupServer");
        } else if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "chatls.server");
        }
      });
      return;
    }
    const config = vscode.workspace.getConfiguration("chatls");
    const profiles = profilesFromSetting(config.get("profiles"));
    const keys = await this.keys.forProfiles(profiles.map((p) => p.name));
    const serverEnv = buildServerEnv(process.env, profiles, keys);
    this.log.info(describeLaunch(launch));
    for (const line of serverEnv.described) {
      this.log.info(line);
    }
    const serverOptions: ServerOptions = {
      command: launch.command,
      args: launch.args,
      options: { env: serverEnv.env, cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      stdioOptions: {
        // only used for transports where stdout is not the LSP stream
        stdout: (input, channel) => {
          readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", (line) => {
            channel.info(line);
          });
        },
        stderr: (input, channel) => {
          let level: LogLevelName | undefined;
          readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", (line) => {
            const parsed = parseServerLine(line, level);
            level = parsed.level;
            channel[parsed.level](parsed.text);
          });
        },
      },
      initializationOptions: initializationOptions((key) => config.get(key)),
      synchronize: { configurationSection: "chatls" },
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            // the server never sees client-only settings (interpreter path, trace level)
            return result.map((value: unknown, i) =>
              params.items[i]?.section === "chatls" ? serverSection(value as Record<string, unknown>) : value);
          },
          handleApplyEdit: this.hooks.handleApplyEdit,
        },
        executeCommand: this.hooks.executeCommand,
      },
    };
    const client = new LanguageClient("chatls", "ChatLS", serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.client === client) {
        this.setState("failed", "The ChatLS server stopped. Run 'ChatLS: Restart Server' or see the log.");
      }
    });
    this.client = client;
    // registered before start, so it replaces the client's default handler (see nativeMessageRequest)
    client.onRequest(ShowMessageRequest.type, (params) =>
      this.hooks.showMessageRequest(params, () => nativeMessageRequest(params)));
    try {
      await client.start();
      client.onNotification(P.DELTA, (delta: P.DeltaNotification) => {
        this.deltaEmitter.fire(delta);
      });
      showProgressAsNotifications(client); // lives as long as the client's connection
      for (const profile of serverEnv.viaRequest) {
        const key = keys.get(profile);
        if (key) {
          await this.sendApiKey(profile, key);
        }
      }
      this.setState("running");
    } catch (error) {
      this.client = undefined;
      const message = `ChatLS server failed to start with ${launch.command}: ${errorMessage(error)}`;
      this.log.error(message);
      this.setState("failed", message);
      await client.dispose().catch(() => undefined);
      void vscode.window.showErrorMessage(message, "Show Log", "Set Up Server").then((choice) => {
        if (choice === "Show Log") {
          this.log.show();
        } else if (choice === "Set Up Server") {
          void vscode.commands.executeCommand("chatls.client.setupServer");
        }
      });
    }
  }

  /** The running client, starting the server first if needed. */
  private async ready(): Promise<LanguageClient> {
    if (!this.client || this.client.state !== State.Running) {
      await this.start();
    }
    if (!this.client || this.client.state !== State.Running) {
      throw new Error(this.lastMessage ?? "The ChatLS server is not running.");
    }
    return this.client;
  }

  async request<R>(method: string, params: object, token?: CancellationToken): Promise<R> {
    const client = await this.ready();
    return token ? client.sendRequest<R>(method, params, token) : client.sendRequest<R>(method, params);
  }

  async executeServerCommand<R>(command: string, args: unknown[], token?: CancellationToken): Promise<R> {
    const client = await this.ready();
    const params = { command, arguments: args };
    return (token ? client.sendRequest(ExecuteCommandRequest.type, params, token)
      : client.sendRequest(ExecuteCommandRequest.type, params)) as Promise<R>;
  }

  /**
   * Hand a profile's key to the running server, or forget it (null); the LSP trace is paused so the key
   * never reaches the log. Resolves true when the server took it (false when no server runs).
   */
  async sendApiKey(profile: string, apiKey: string | null): Promise<boolean> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      return false;
    }
    const trace = this.effectiveTrace();
    const params: P.SetApiKeyParams = { profile, apiKey };
    try {
      if (trace !== Trace.Off) {
        await client.setTrace(Trace.Off);
      }
      await client.sendRequest(P.SET_API_KEY, params);
      this.log.info(apiKey === null ? `API key for profile '${profile}' withdrawn from the server` : `API key for profile '${profile}' handed to the server`);
      return true;
    } catch (error) {
      this.log.warn(`chatls/setApiKey for profile '${profile}' failed: ${errorMessage(error)}`);
      return false;
    } finally {
      if (trace !== Trace.Off) {
        await client.setTrace(trace);
      }
    }
  }

  /**
   * The trace the client is using: vscode-languageclient traces only while the channel's log level is
   * Trace, with `chatls.trace.server` choosing messages or verbose.
   */
  private effectiveTrace(): Trace {
    if (this.log.logLevel !== vscode.LogLevel.Trace) {
      return Trace.Off;
    }
    const setting = Trace.fromString(vscode.workspace.getConfiguration("chatls").get<string>("trace.server", "off"));
    return setting === Trace.Off ? Trace.Messages : setting;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.deltaEmitter.dispose();
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** Run `python -c code`; resolves with stdout, rejects on failure or after `timeoutMs`. */
export async function runPython(python: string, code: string, timeoutMs = 15000): Promise<string> {
  const { stdout } = await promisify(execFile)(python, ["-c", code], { timeout: timeoutMs });
  return stdout;
}

async function hasChatls(python: string): Promise<boolean> {
  try {
    await runPython(python, "import chatls");
    return true;
  } catch {
    return false;
  }
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The Python extension's active interpreter, when that extension is installed. */
export async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    const active = environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (!environments || !active) {
      return undefined;
    }
    const resolved = await environments.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}
