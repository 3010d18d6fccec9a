/** The conversation list: fits the panel, shows dates, filters by a search box, renames and deletes per item. */

import type { ConversationSummary } from "../protocol";

export interface ConversationListEvents {
  open(conversationId: string): void;
  rename(conversationId: string, title: string): void;
  remove(conversationId: string): void;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** "14:05" today, "3 Dec 2026" before (short enough for a narrow side bar). */
export function shortDate(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return "";
  }
  return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dateFormat.format(date);
}

export class ConversationList {
  private items: ConversationSummary[] = [];
  private current: string | null = null;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly search: HTMLInputElement,
    private readonly events: ConversationListEvents,
  ) {
    search.addEventListener("input", () => this.draw());
  }

  show(items: ConversationSummary[], current: string | null): void {
    this.items = items;
    this.current = current;
    this.draw();
  }

  setCurrent(current: string | null): void {
    this.current = current;
    for (const li of Array.from(this.list.querySelectorAll<HTMLLIElement>("li[data-id]"))) {
      li.classList.toggle("current", li.dataset.id === current);
    }
  }

  private draw(): void {
    const query = this.search.value.trim().toLowerCase();
    const shown = query ? this.items.filter((item) => (item.title || "").toLowerCase().includes(query)) : this.items;
    this.list.replaceChildren(...shown.map((item) => this.row(item)));
    if (shown.length === 0) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = this.items.length === 0 ? "No conversations yet" : "No conversation matches";
      this.list.appendChild(li);
    }
  }

  private row(item: ConversationSummary): HTMLLIElement {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    li.classList.toggle("current", item.id === this.current);
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    open.title = `${item.title || "(untitled)"} · ${item.messageCount} messages`;
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = item.title || "(untitled)";
    const date = document.createElement("span");
    date.className = "date";
    date.textContent = shortDate(item.updatedAt);
    date.title = item.updatedAt;
    open.append(title, date);
    open.addEventListener("click", () => this.events.open(item.id));
    const rename = iconButton("rename", "✎", "Rename");
    rename.addEventListener("click", () => this.startRename(li, item));
    const remove = iconButton("remove", "×", "Delete");
    remove.addEventListener("click", () => this.events.remove(item.id));
    li.append(open, rename, remove);
    return li;
  }

  /** Edit the title in place: Enter saves, Escape or leaving the box cancels. */
  private startRename(li: HTMLLIElement, item: ConversationSummary): void {
    const input = document.createElement("input");
    input.type = "text";
    input.className = "rename-input";
    input.value = item.title;
    input.maxLength = 200;
    input.setAttribute("aria-label", "New title");
    let settled = false;
    const finish = (save: boolean): void => {
      if (settled) {
        return;
      }
      settled = true;
      const title = input.value.trim();
      if (save && title && title !== item.title) {
        item.title = title;
        this.events.rename(item.id, title);
      }
      this.draw();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Escape") {
        event.preventDefault();
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(false));
    li.replaceChildren(input);
    input.focus();
    input.select();
  }
}

function iconButton(kind: string, icon: string, label: string): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `icon ${kind}`;
  button.textContent = icon;
  button.title = label;
  button.setAttribute("aria-label", label);
  return button;
}
