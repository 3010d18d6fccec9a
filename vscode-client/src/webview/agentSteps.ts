/** An agent reply's tool steps: one collapsible row per step, updated as it starts and finishes. */

import type { AgentStep } from "../protocol";

const ICONS = { running: "…", ok: "✓", failed: "✗" } as const;

export class AgentSteps {
  private readonly list: HTMLOListElement;
  private readonly rows = new Map<number, HTMLDetailsElement>();
  /** Approvals shown under a running step (by its index; -1: under no step), told when it ends. */
  private readonly waiting = new Map<number, Array<() => void>>();

  /** A step list placed before `before` (the reply's text) in `container`. */
  constructor(container: HTMLElement, before: Element | null) {
    this.list = document.createElement("ol");
    this.list.className = "agent-steps";
    this.list.setAttribute("aria-label", "Agent steps");
    container.insertBefore(this.list, before);
  }

  /** The steps stored with a reply (all finished). */
  static stored(container: HTMLElement, before: Element | null, steps: readonly AgentStep[]): AgentSteps {
    const view = new AgentSteps(container, before);
    for (const step of steps) {
      view.update(step);
    }
    return view;
  }

  get count(): number {
    return this.rows.size;
  }

  /** Show a step's latest phase; a finished step keeps its row (same index) and gains its outcome. */
  update(step: AgentStep): void {
    let row = this.rows.get(step.index);
    if (!row) {
      row = document.createElement("details");
      row.className = "step";
      const item = document.createElement("li");
      item.appendChild(row);
      this.list.appendChild(item);
      this.rows.set(step.index, row);
    }
    const state = step.phase === "started" ? "running" : step.ok === false ? "failed" : "ok";
    row.className = `step ${state}`;
    row.dataset.index = String(step.index);
    row.dataset.name = step.name;
    const summary = document.createElement("summary");
    const icon = document.createElement("span");
    icon.className = "step-icon";
    icon.textContent = ICONS[state];
    icon.title = state === "running" ? "running" : state === "ok" ? "done" : "failed";
    const name = document.createElement("span");
    name.className = "step-name";
    name.textContent = step.name; // tool names and summaries are shown as text, never parsed
    const brief = document.createElement("span");
    brief.className = "step-brief";
    brief.textContent = step.summary;
    summary.append(icon, name, brief);
    const detail = document.createElement("div");
    detail.className = "step-detail";
    detail.textContent = state === "failed" ? `Failed: ${step.summary}` : step.summary;
    row.replaceChildren(summary, detail);
    if (state !== "running") {
      this.release(step.index);
    }
  }

  /**
   * Show `box` (an approval) under the running step of `tool` (else the latest running step, else at the
   * end); `onStepEnd` runs when that step ends or the turn does.
   */
  ask(tool: string, box: HTMLElement, onStepEnd: () => void): void {
    const running = [...this.rows.entries()].filter(([, row]) => row.classList.contains("running"));
    const [index, row] = running.filter(([, r]) => r.dataset.name === tool).at(-1) ?? running.at(-1) ?? [-1, null];
    if (row?.parentElement) {
      row.parentElement.appendChild(box);
    } else {
      const item = document.createElement("li");
      item.appendChild(box);
      this.list.appendChild(item);
    }
    this.waiting.set(index, [...(this.waiting.get(index) ?? []), onStepEnd]);
  }

  private release(index: number): void {
    const waiting = this.waiting.get(index);
    this.waiting.delete(index);
    for (const onStepEnd of waiting ?? []) {
      onStepEnd();
    }
  }

  /** Steps still shown as running when the turn ended did not finish (stopped or failed). */
  settle(): void {
    for (const index of [...this.waiting.keys()]) {
      this.release(index);
    }
    for (const row of this.rows.values()) {
      if (row.classList.contains("running")) {
        row.classList.replace("running", "unfinished");
        const icon = row.querySelector(".step-icon");
        if (icon) {
          icon.textContent = "–";
          (icon as HTMLElement).title = "did not finish";
        }
      }
    }
  }
}
