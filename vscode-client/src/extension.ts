/** ChatLS for VS Code: a thin client for the ChatLS language server. */

import * as vscode from "vscode";
import { ActionRuns } from "./actionRuns";
import { parseApproval } from "./approvals";
import { actionMiddleware, sendSelectionToChat } from "./actions";
import { ChatView, VIEW_ID } from "./chatView";
import { ApiKeys } from "./secrets";
import { EditReviews } from "./review";
import { ChatLSServer } from "./server";
import { apiKeyEnvName, needsRestart, profilesFromSetting, usesApiKey } from "./settings";
import { setUpServer } from "./setup";
import { ProfileStatus, switchProfile } from "./statusBar";

let server: ChatLSServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("ChatLS", { log: true });
  const keys = new ApiKeys(context.secrets);
  const views: { chat?: ChatView } = {};
  const runs = new ActionRuns();
  const reviews = new EditReviews(runs, log);
  server = new ChatLSServer(context, log, keys, {
    executeCommand: actionMiddleware(() => views.chat, runs, (command, args): Promise<unknown> => srv.executeServerCommand(command, args)),
    handleApplyEdit: reviews.handleApplyEdit,
    // the agent's approvals go inline in the panel when it shows the asking turn; all else as notifications
    showMessageRequest: (params, native) => {
      const approval = parseApproval(params);
      return (approval && views.chat?.askInline(params, approval, native)) || native();
    },
  });
  const srv = server;
  const view = new ChatView(context, srv, log);
  views.chat = view;
  const status = new ProfileStatus(view, srv);

  context.subscriptions.push(
    log,
    srv,
    reviews,
    srv.onDelta((delta) => runs.accept(delta)),
    view,
    status,
    vscode.window.registerWebviewViewProvider(VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand("chatls.client.openChat", () => view.reveal()),
    vscode.commands.registerCommand("chatls.client.newConversation", () => view.newConversation()),
    vscode.commands.registerCommand("chatls.client.restartServer", async () => {
      await srv.restart();
      await view.refreshProfiles();
    }),
    vscode.commands.registerCommand("chatls.client.showLog", () => log.show()),
    vscode.commands.registerCommand("chatls.client.switchProfile", () => switchProfile(view)),
    vscode.commands.registerCommand("chatls.client.sendSelectionToChat", sendSelectionToChat),
    vscode.commands.registerCommand("chatls.client.setupServer", async () => {
      if (await setUpServer(context, srv.managedVenv, log)) {
        await srv.restart();
      }
    }),
    vscode.commands.registerCommand("chatls.client.setApiKey", () => setApiKey(keys, srv, view)),
    vscode.commands.registerCommand("chatls.client.clearApiKey", () => clearApiKey(keys, srv, view)),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (needsRestart((section) => event.affectsConfiguration(section))) {
        log.info("ChatLS settings changed; restarting the server");
        await srv.restart();
      }
      if (event.affectsConfiguration("chatls.defaultProfile")) {
        await view.forgetPickedProfile();
      }
      if (event.affectsConfiguration("chatls")) {
        await view.refreshProfiles();
      }
    }),
  );
  await srv.start();
}

/** Ask which profile; the one active in the panel is offered first. */
async function pickProfile(title: string, view: ChatView): Promise<string | undefined> {
  const profiles = profilesFromSetting(vscode.workspace.getConfiguration("chatls").get("profiles"));
  if (profiles.length === 0) {
    const name = await vscode.window.showInputBox({ title, prompt: "Profile name (no profiles are configured yet)", ignoreFocusOut: true });
    return name?.trim() || undefined;
  }
  const active = view.activeProfileName;
  const names = profiles.map((p) => p.name).sort((a, b) => Number(b === active) - Number(a === active));
  const picked = await vscode.window.showQuickPick(
    names.map((name) => ({ label: name, description: name === active ? "active" : undefined })), { title });
  return picked?.label;
}

/** Forget a profile's key in secret storage and in the running server at once (no restart). */
async function clearApiKey(keys: ApiKeys, srv: ChatLSServer, view: ChatView): Promise<void> {
  const profile = await pickProfile("ChatLS: clear the API key of which profile?", view);
  if (!profile) {
    return;
  }
  await keys.delete(profile);
  await srv.sendApiKey(profile, null);
  await view.refreshProfiles();
  const setting = profilesFromSetting(vscode.workspace.getConfiguration("chatls").get("profiles")).find((p) => p.name === profile);
  const variable = setting && usesApiKey(setting) ? apiKeyEnvName(setting) : undefined;
  const fallback = variable && process.env[variable]
    ? ` It now uses $${variable} from VS Code's environment.`
    : " It has no key until you set one.";
  void vscode.window.showInformationMessage(`ChatLS: API key for '${profile}' cleared.${fallback}`);
}

async function setApiKey(keys: ApiKeys, srv: ChatLSServer, view: ChatView): Promise<void> {
  const profile = await pickProfile("ChatLS: set the API key of which profile?", view);
  if (!profile) {
    return;
  }
  const key = await vscode.window.showInputBox({
    title: `ChatLS: API key for '${profile}'`,
    prompt: "Stored in VS Code's secret storage; never written to settings or logs.",
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "The key cannot be empty"),
  });
  if (!key) {
    return;
  }
  await keys.set(profile, key.trim());
  // running server: hand the key over now; the next start gets it through the environment
  await srv.sendApiKey(profile, key.trim());
  await view.refreshProfiles();
  void vscode.window.showInformationMessage(`ChatLS: API key for '${profile}' saved.`);
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
