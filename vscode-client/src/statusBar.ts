/** Status bar item: the active profile and its model; click to switch. */

import * as vscode from "vscode";
import type { ChatView } from "./chatView";
import type { ChatLSServer } from "./server";

export class ProfileStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("chatls.profile", vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly chatView: ChatView, private readonly server: ChatLSServer) {
    this.item.name = "ChatLS profile";
    this.item.command = "chatls.client.switchProfile";
    this.disposables.push(chatView.onDidChangeProfile(() => this.update()), server.onDidChangeState(() => this.update()));
    this.update();
    this.item.show();
  }

  update(): void {
    const choice = this.chatView.activeChoice;
    const state = this.server.state;
    const icon = state === "failed" ? "$(error)" : state === "starting" ? "$(loading~spin)" : "$(comment-discussion)";
    this.item.text = choice ? `${icon} ${choice.name}${choice.model ? ` · ${choice.model}` : ""}` : `${icon} ChatLS`;
    this.item.tooltip = state === "failed"
      ? this.server.stateMessage ?? "ChatLS server failed"
      : choice ? `ChatLS profile '${choice.name}' — click to switch` : "ChatLS: no profile configured — click to choose";
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

export async function switchProfile(chatView: ChatView): Promise<void> {
  await chatView.refreshProfiles();
  const active = chatView.activeProfileName;
  const items = chatView.profileChoices.map((c) => ({
    label: c.name,
    description: [c.model, c.reasoning ? "reasoning" : undefined].filter(Boolean).join(" · "),
    picked: c.name === active,
  }));
  if (items.length === 0) {
    const choice = await vscode.window.showInformationMessage("ChatLS: no profiles configured yet.", "Open Settings");
    if (choice) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "chatls.profiles");
    }
    return;
  }
  const picked = await vscode.window.showQuickPick(items, { title: "ChatLS: switch profile", placeHolder: active ?? undefined });
  if (picked) {
    await chatView.selectProfile(picked.label);
  }
}
