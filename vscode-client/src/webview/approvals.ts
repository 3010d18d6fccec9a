/**
 * The agent's approvals inside the turn's step list: what it wants to run or call, with Allow and Deny.
 * The answer goes to the extension (which answers the server's `window/showMessageRequest`); an approval
 * whose step ends first (the server stopped waiting: timeout or Stop) goes away, shown as declined.
 */

import type { AgentApproval } from "../approvals";
import type { ApprovalOutcome, FromWebview } from "../messages";
import type { AgentSteps } from "./agentSteps";

const QUESTIONS: Record<AgentApproval["kind"], string> = {
  command: "Run this command?",
  tool: "Call this MCP tool?",
  edits: "Apply these changes?",
};

const OUTCOMES: Record<ApprovalOutcome, string> = {
  allowed: "Allowed",
  denied: "Denied",
  unanswered: "Declined: not answered in time",
};

/** One approval on screen until it is answered or settled. */
class ApprovalBox {
  readonly element: HTMLElement;
  private open = true;

  constructor(approval: AgentApproval, private readonly answer: (allow: boolean) => void) {
    this.element = document.createElement("div");
    this.element.className = "approval";
    this.element.setAttribute("role", "group");
    this.element.tabIndex = -1;
    const question = document.createElement("div");
    question.className = "approval-question";
    question.textContent = approval.kind === "tool" ? `Call the MCP tool ${approval.tool}?` : QUESTIONS[approval.kind];
    question.id = `approval-q-${Math.random().toString(36).slice(2)}`;
    this.element.setAttribute("aria-labelledby", question.id);
    const subject = document.createElement("pre");
    subject.className = "approval-subject";
    subject.textContent = approval.subject; // shown as text, never parsed
    const buttons = document.createElement("div");
    buttons.className = "approval-buttons";
    const allow = button("Allow", "approval-allow", `${approval.yes}: ${approval.subject}`, () => this.choose(true));
    const deny = button("Deny", "approval-deny", `${approval.no}: ${approval.subject}`, () => this.choose(false));
    buttons.append(allow, deny);
    this.element.append(question, subject, buttons);
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open) {
        event.preventDefault();
        this.choose(false);
      }
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  private choose(allow: boolean): void {
    if (!this.open) {
      return;
    }
    this.answer(allow);
    this.settle(allow ? "allowed" : "denied");
  }

  /** Replace the buttons by the outcome. */
  settle(outcome: ApprovalOutcome): void {
    if (!this.open) {
      return;
    }
    this.open = false;
    const hadFocus = this.element.contains(document.activeElement);
    this.element.classList.add("answered", outcome);
    const line = document.createElement("div");
    line.className = "approval-outcome";
    line.setAttribute("role", "status");
    line.textContent = OUTCOMES[outcome];
    this.element.querySelector(".approval-buttons")?.replaceWith(line);
    if (hadFocus) {
      document.getElementById("prompt")?.focus(); // the focus must not be lost with the buttons
    }
  }
}

function button(label: string, className: string, title: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  element.title = title;
  element.addEventListener("click", onClick);
  return element;
}

/** The approvals the panel shows, by the extension's id. */
export class InlineApprovals {
  private readonly boxes = new Map<number, ApprovalBox>();

  constructor(private readonly post: (message: FromWebview) => void) {}

  /** Show `approval` under its step in `steps`; focus moves to it unless the user is typing. */
  show(id: number, approval: AgentApproval, steps: AgentSteps): void {
    const box = new ApprovalBox(approval, (allow) => {
      this.boxes.delete(id);
      this.post({ type: "approvalAnswer", id, allow, shown: true });
    });
    this.boxes.set(id, box);
    steps.ask(approval.tool, box.element, () => this.gone(id));
    const active = document.activeElement;
    if (!(active instanceof HTMLTextAreaElement || active instanceof HTMLInputElement || active instanceof HTMLSelectElement)) {
      box.element.focus();
    }
    box.element.scrollIntoView({ block: "nearest" });
  }

  /** The panel could not show it (its turn is no longer on screen): the extension asks another way. */
  refuse(id: number): void {
    this.post({ type: "approvalAnswer", id, allow: null, shown: false });
  }

  /** Settled outside the panel (a notification was answered, or the turn ended). */
  settled(id: number, outcome: ApprovalOutcome): void {
    this.boxes.get(id)?.settle(outcome);
    this.boxes.delete(id);
  }

  /** Its step ended while it waited: the server no longer waits for the answer (declined). */
  private gone(id: number): void {
    const box = this.boxes.get(id);
    if (box?.isOpen) {
      box.settle("unanswered");
      this.boxes.delete(id);
      this.post({ type: "approvalAnswer", id, allow: null, shown: true });
    }
  }
}
