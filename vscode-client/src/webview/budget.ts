/** The token budget under the input: "≈ N of M tokens" for the draft, and what would be left out. */

import type { BudgetResult } from "../protocol";

const number = new Intl.NumberFormat("en-US");

/** The line the panel shows for a budget answer. */
export function budgetText(budget: BudgetResult): string {
  const parts = [`≈ ${number.format(budget.tokens)} of ${number.format(budget.inputBudget)} tokens`];
  if (!budget.fits) {
    const items = budget.leftOutAttachments.join(", ");
    parts.push(items ? `too long: would need to leave out ${items}` : "too long to send");
  } else if (budget.leftOutMessages > 0) {
    const n = budget.leftOutMessages;
    parts.push(`${n} earlier message${n === 1 ? "" : "s"} left out`);
  }
  return parts.join(" · ");
}

/** Details for the tooltip: what each part takes. */
export function budgetDetail(budget: BudgetResult): string {
  const lines = [
    `model ${budget.model}: ${number.format(budget.inputBudget)} input tokens `
      + `(${number.format(budget.contextWindow)} window − ${number.format(budget.replyReserve)} kept for the reply)`,
    `prompt ${number.format(budget.promptTokens)}, instructions ${number.format(budget.instructionsTokens)}`,
    ...budget.attachments.map((a) => `${a.label}: ${number.format(a.tokens)}`),
    `history: ${budget.historyMessages} messages, ${number.format(budget.historyTokens)}`,
  ];
  return lines.join("\n");
}

/**
 * Asks for the draft's budget a moment after the last change (the server counts it; typing must not flood
 * it), and shows only the answer to the latest question.
 */
export class BudgetLine {
  private timer: number | undefined;
  private latest = 0;

  constructor(
    private readonly element: HTMLElement,
    private readonly ask: (requestId: number) => void,
    private readonly delayMs = 400,
  ) {}

  /** The draft changed: recount soon. */
  changed(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.latest += 1;
      this.element.classList.add("counting");
      this.ask(this.latest);
    }, this.delayMs);
  }

  show(requestId: number, budget: BudgetResult | null, error?: string): void {
    if (requestId !== this.latest) {
      return; // an older draft's count
    }
    this.element.classList.remove("counting");
    if (!budget) {
      this.element.hidden = true; // e.g. no profile or an older server: the chat itself will say what is wrong
      this.element.title = error ?? "";
      return;
    }
    this.element.hidden = false;
    this.element.textContent = budgetText(budget);
    this.element.title = budgetDetail(budget);
    this.element.classList.toggle("over", !budget.fits);
    this.element.classList.toggle("trimmed", budget.fits && budget.leftOutMessages > 0);
  }
}
