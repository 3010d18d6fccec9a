/**
 * The "Thinking" block above an answer: reasoning summaries stream into it while the model thinks; it folds
 * away when the answer starts (the user can reopen it) and is shown folded for stored replies.
 */

import type { CodeAction } from "./codeBlocks";
import { StreamingMarkdown } from "./stream";

export class ThinkingBlock {
  readonly element: HTMLDetailsElement;
  private readonly summary: HTMLElement;
  private readonly text: StreamingMarkdown;
  private readonly started = Date.now();
  private folded = false;

  constructor(before: HTMLElement, onCode: (action: CodeAction, code: string) => void, streaming: boolean) {
    this.element = document.createElement("details");
    this.element.className = "thinking";
    this.element.open = streaming;
    this.summary = document.createElement("summary");
    this.summary.textContent = streaming ? "Thinking…" : "Thinking";
    const body = document.createElement("div");
    body.className = "thinking-body";
    this.element.append(this.summary, body);
    before.before(this.element);
    this.text = new StreamingMarkdown(body, onCode);
  }

  append(text: string): void {
    this.text.append(text);
  }

  /** The answer started (or the turn ended): fold once, naming how long the model thought. */
  fold(): void {
    if (this.folded) {
      return;
    }
    this.folded = true;
    this.element.open = false;
    const seconds = Math.round((Date.now() - this.started) / 1000);
    this.summary.textContent = seconds >= 1 ? `Thought for ${seconds} s` : "Thought";
    this.text.finish();
  }

  /** A stored reply's reasoning: shown whole, folded. */
  static stored(before: HTMLElement, reasoning: string, onCode: (action: CodeAction, code: string) => void): ThinkingBlock {
    const block = new ThinkingBlock(before, onCode, false);
    block.folded = true;
    block.text.append(reasoning);
    block.text.finish();
    return block;
  }
}
