/** The error under a failed reply: the message as Markdown (it wraps at any width) and the actions it names. */

import type { PanelCommand } from "../messages";
import { renderMarkdown } from "./render";

export interface ErrorAction {
  label: string;
  command: PanelCommand;
}

/** The buttons an error message asks for, besides Retry: what it tells the user to run or open. */
export function errorActions(message: string): ErrorAction[] {
  const actions: ErrorAction[] = [];
  if (/set api key|api key (?:is )?(?:missing|not set)|rejected the api key|\(401\)/i.test(message)) {
    actions.push({ label: "Set API Key", command: "setApiKey" });
  }
  if (/\bsettings?\b|chatls\.\w+|no (?:azure openai )?profile|\bendpoint\b|\bdeployment\b|\(404\)/i.test(message)) {
    actions.push({ label: "Open Settings", command: "openSettings" });
  }
  if (/set up server/i.test(message)) {
    actions.push({ label: "Set Up Server", command: "setupServer" });
  }
  return actions;
}

export interface ErrorBoxOptions {
  message: string;
  onRetry: (() => void) | null;
  onCommand: (command: PanelCommand) => void;
}

export function errorBox({ message, onRetry, onCommand }: ErrorBoxOptions): HTMLElement {
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  const text = document.createElement("div");
  text.className = "error-text";
  text.appendChild(renderMarkdown(message)); // sanitised by DOMPurify
  const buttons = document.createElement("div");
  buttons.className = "error-actions";
  if (onRetry) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", onRetry);
    buttons.appendChild(retry);
  }
  for (const action of errorActions(message)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `secondary action-${action.command}`;
    button.textContent = action.label;
    button.addEventListener("click", () => onCommand(action.command));
    buttons.appendChild(button);
  }
  box.append(text, buttons);
  return box;
}
