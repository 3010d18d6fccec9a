/**
 * Context chips: `#` in the prompt opens a list of what can be attached (files of the workspace, problems,
 * the diff, the selection, the open editors — the extension answers); a chosen item becomes a removable chip
 * above the input, and the chips are sent as the chat's `attachments`, in order. A file dropped on the panel
 * becomes a chip too.
 */

import type { ContextChoice } from "../messages";
import type { ContextItem } from "../protocol";

/** The `#query` ending at the caret, or null when the caret is not in one. */
export function hashQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const match = /(^|\s)#([^\s#]*)$/.exec(text.slice(0, caret));
  if (!match) {
    return null;
  }
  return { start: caret - match[2].length - 1, query: match[2] };
}

/** Two choices attach the same thing. */
function sameItem(a: ContextItem, b: ContextItem): boolean {
  return a.kind === b.kind && (a.uri ?? null) === (b.uri ?? null) && (a.staged ?? false) === (b.staged ?? false)
    && JSON.stringify(a.range ?? null) === JSON.stringify(b.range ?? null);
}

/** Files dropped from the explorer (or the OS) as chips; VS Code puts their URIs in these formats. */
export function droppedFiles(data: DataTransfer): ContextChoice[] {
  const uris: string[] = [];
  const resources = data.getData("resourceurls");
  if (resources) {
    try {
      const parsed: unknown = JSON.parse(resources);
      if (Array.isArray(parsed)) {
        uris.push(...parsed.filter((u): u is string => typeof u === "string"));
      }
    } catch {
      // not JSON: fall back to the uri lists
    }
  }
  if (uris.length === 0) {
    const list = data.getData("application/vnd.code.uri-list") || data.getData("text/uri-list");
    uris.push(...list.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith("#")));
  }
  return uris.filter((uri) => /^[a-z][a-z0-9+.-]*:/i.test(uri)).map((uri) => ({
    label: decodeURIComponent(uri.replace(/\/+$/, "").split("/").at(-1) ?? uri),
    detail: uri,
    item: { kind: "file", uri },
  }));
}

export class ContextChips {
  private chosen: ContextChoice[] = [];
  private choices: ContextChoice[] = [];
  private active = 0;
  private query: { start: number; query: string } | null = null;
  private askTimer: number | undefined;

  constructor(
    private readonly prompt: HTMLTextAreaElement,
    private readonly chipBox: HTMLElement,
    private readonly popup: HTMLUListElement,
    private readonly ask: (query: string) => void,
    private readonly onChange: () => void,
  ) {
    // registered before the composer's own keydown handler, so Enter picks a choice instead of sending
    prompt.addEventListener("keydown", (event) => this.onKey(event));
    prompt.addEventListener("input", () => this.onInput());
    // leaving the prompt closes the list, unless the focus came straight back (a chip's ×, a click in the list)
    prompt.addEventListener("blur", () => window.setTimeout(() => {
      if (document.activeElement !== prompt) {
        this.close();
      }
    }, 150));
    popup.addEventListener("mousedown", (event) => event.preventDefault()); // keep the caret in the prompt
  }

  /** The attachments to send, in the order the chips show. */
  get items(): ContextItem[] {
    return this.chosen.map((c) => c.item);
  }

  get labels(): string[] {
    return this.chosen.map((c) => c.label);
  }

  get open(): boolean {
    return !this.popup.hidden;
  }

  /** Attach a choice (once); the chip shows at the end. */
  add(choice: ContextChoice): void {
    if (this.chosen.some((c) => sameItem(c.item, choice.item))) {
      return;
    }
    this.chosen.push(choice);
    this.renderChips();
    this.onChange();
  }

  /** Chips a reload restores (the saved draft's). */
  restore(choices: readonly ContextChoice[]): void {
    this.chosen = [...choices];
    this.renderChips();
  }

  get saved(): ContextChoice[] {
    return [...this.chosen];
  }

  /** After a send: the next question starts without chips. */
  clear(): void {
    this.chosen = [];
    this.renderChips();
    this.onChange();
  }

  /** The extension's answer to `#query`: shown when that is still what the user is typing. */
  showChoices(query: string, choices: ContextChoice[]): void {
    if (!this.query || this.query.query !== query) {
      return;
    }
    this.choices = choices;
    this.active = 0;
    this.renderPopup();
  }

  private onInput(): void {
    this.query = hashQueryAt(this.prompt.value, this.prompt.selectionStart);
    window.clearTimeout(this.askTimer);
    if (!this.query) {
      this.close();
      return;
    }
    const query = this.query.query;
    this.askTimer = window.setTimeout(() => this.ask(query), 120);
  }

  private onKey(event: KeyboardEvent): void {
    if (!this.open || this.choices.length === 0) {
      if (event.key === "Escape") {
        this.close();
      }
      return;
    }
    const keys: Record<string, () => void> = {
      ArrowDown: () => this.move(1),
      ArrowUp: () => this.move(-1),
      Enter: () => this.pick(this.active),
      Tab: () => this.pick(this.active),
      Escape: () => this.close(),
    };
    const action = keys[event.key];
    if (action && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      event.stopImmediatePropagation();
      action();
    }
  }

  private move(by: number): void {
    this.active = (this.active + by + this.choices.length) % this.choices.length;
    this.renderPopup();
  }

  /** Attach a choice and take its `#query` out of the prompt. */
  private pick(index: number): void {
    const choice = this.choices[index];
    const query = this.query;
    if (!choice || !query) {
      return;
    }
    const text = this.prompt.value;
    const end = query.start + 1 + query.query.length;
    this.prompt.value = text.slice(0, query.start) + text.slice(end).replace(/^ /, "");
    this.prompt.setSelectionRange(query.start, query.start);
    this.close();
    this.add(choice);
    this.prompt.dispatchEvent(new Event("input")); // the draft is saved and the budget recounted
  }

  private close(): void {
    this.popup.hidden = true;
    this.popup.replaceChildren();
    this.choices = [];
    this.prompt.removeAttribute("aria-activedescendant");
  }

  private renderPopup(): void {
    this.popup.replaceChildren();
    if (this.choices.length === 0) {
      const empty = document.createElement("li");
      empty.className = "context-empty";
      empty.textContent = "Nothing to attach matches";
      this.popup.appendChild(empty);
    }
    this.choices.forEach((choice, i) => {
      const option = document.createElement("li");
      option.id = `context-choice-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(i === this.active));
      option.className = i === this.active ? "context-choice active" : "context-choice";
      const label = document.createElement("span");
      label.className = "choice-label";
      label.textContent = choice.label;
      option.appendChild(label);
      if (choice.detail) {
        const detail = document.createElement("span");
        detail.className = "choice-detail";
        detail.textContent = choice.detail;
        option.appendChild(detail);
      }
      option.addEventListener("click", () => this.pick(i));
      this.popup.appendChild(option);
    });
    this.popup.hidden = false;
    if (this.choices.length > 0) {
      this.prompt.setAttribute("aria-activedescendant", `context-choice-${this.active}`);
      this.popup.children[this.active]?.scrollIntoView({ block: "nearest" });
    }
  }

  private renderChips(): void {
    this.chipBox.replaceChildren();
    this.chipBox.hidden = this.chosen.length === 0;
    for (const choice of this.chosen) {
      const chip = document.createElement("span");
      chip.className = `chip chip-${choice.item.kind}`;
      chip.title = choice.detail ?? choice.label;
      const label = document.createElement("span");
      label.className = "chip-label";
      label.textContent = choice.label;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${choice.label}`);
      remove.addEventListener("click", () => {
        this.chosen = this.chosen.filter((c) => c !== choice);
        this.renderChips();
        this.onChange();
        this.prompt.focus();
      });
      chip.append(label, remove);
      this.chipBox.appendChild(chip);
    }
  }
}
