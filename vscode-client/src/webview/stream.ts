/**
 * Streaming Markdown whose cost follows what arrives: the reply is cut into top-level blocks as lines come in;
 * each closed block is rendered once and kept, and only the open block at the end (the tail) is redrawn.
 * An open code fence grows by appending text; a tail or block past its size cap is shown as plain text, so
 * no single render is unbounded whatever the model sends. Work runs in animation frames under a time budget
 * (see `scheduler`), so input such as Stop is handled between two bounded steps. Code is highlighted only
 * when it comes near view (`nearView.ts`), and full chunks out of view skip style, layout and paint (chat.css).
 */

import { listenForCodeActions, wrapCodeBlocks, type CodeAction } from "./codeBlocks";
import { NearViewHighlighter } from "./nearView";
import { PENDING_HIGHLIGHT, renderMarkdownLazily } from "./render";

/** A closed block longer than this is shown as plain text (pathological Markdown stays bounded). */
export const BLOCK_MARKDOWN_LIMIT = 20_000;
/** The open tail is re-rendered as Markdown only up to this size; past it, it grows as plain text. */
export const TAIL_MARKDOWN_LIMIT = 8_000;
/** A growing plain or code tail is split into blocks of about this many characters (at line ends). */
export const PIECE_CHARS = 4_000;
/** Closed blocks are grouped into chunks of about this many characters; a full chunk off screen costs nothing. */
export const CHUNK_CHARS = 8_000;
/** Closed blocks are rendered in groups of about this size: small enough that one group never holds up input. */
export const GROUP_CHARS = 2_000;
/** Work per animation frame before yielding to input and layout. */
export const FRAME_BUDGET_MS = 8;
/** At most one commit of new text per this interval while a reply streams (20 a second reads as smooth). */
export const COMMIT_INTERVAL_MS = 50;

const FENCE = /^( {0,3})(`{3,}|~{3,})/;

interface OpenFence {
  marker: string;
  length: number;
  /** The fence starts a top-level block (no indent): its tail grows as a code block. */
  topLevel: boolean;
}

type TailMode = "markdown" | "code" | "plain";

/** Where a top-level block ends: a blank line outside any fence followed by an unindented line. */
export class StreamingMarkdown {
  private text = "";
  private done = false;
  /** Start of the first line not scanned yet. */
  private scanned = 0;
  /** Start of the open block (everything before is rendered in closed blocks). */
  private blockStart = 0;
  /** Ends of the closed blocks found but not rendered yet. */
  private readonly closedEnds: number[] = [];
  private renderedUpTo = 0;
  private fence: OpenFence | null = null;
  private blankSeen = false;
  private tail: HTMLElement;
  private tailMode: TailMode = "markdown";
  /** How much of the open block the tail shows (plain/code modes append from here). */
  private tailShown = 0;
  private tailText: Text | null = null;
  private dirty = false;
  /** The chunk closed blocks currently go into, and how much text it holds. */
  private chunk: HTMLElement | null = null;
  private chunkChars = 0;

  constructor(
    readonly root: HTMLElement,
    onCode: (action: CodeAction, code: string) => void,
  ) {
    this.tail = this.newTail();
    listenForCodeActions(root, onCode);
  }

  get content(): string {
    return this.text;
  }

  /** True when everything received is on screen. */
  get idle(): boolean {
    return !this.dirty;
  }

  append(chunk: string): void {
    if (!chunk) {
      return;
    }
    this.text += chunk;
    this.dirty = true;
    scheduler.want(this);
  }

  /** The reply is complete (optionally replaced by its final text): close the open block. */
  finish(finalText?: string): void {
    if (finalText !== undefined && finalText !== this.text) {
      this.reset(finalText);
    }
    this.done = true;
    this.dirty = true;
    scheduler.finishNow(this);
  }

  /**
   * The chunk for the next closed block. A full chunk is sealed: off screen it skips style, layout and paint
   * (content-visibility in chat.css), so a long reply's earlier text costs nothing per frame. The open chunk is
   * not: laid out at its real size, the view that follows the reply stays at its end.
   */
  private currentChunk(adding: number): HTMLElement {
    if (!this.chunk || this.chunkChars >= CHUNK_CHARS) {
      this.chunk?.classList.add("sealed");
      this.chunk = document.createElement("div");
      this.chunk.className = "md-chunk";
      this.chunkChars = 0;
      this.root.insertBefore(this.chunk, this.tail);
    }
    this.chunkChars += adding;
    return this.chunk;
  }

  private reset(text: string): void {
    this.root.replaceChildren();
    this.chunk = null;
    this.chunkChars = 0;
    this.text = text;
    this.scanned = 0;
    this.blockStart = 0;
    this.closedEnds.length = 0;
    this.renderedUpTo = 0;
    this.fence = null;
    this.blankSeen = false;
    this.tail = this.newTail();
  }

  /** Do some of the pending work; false when more is left for the next frame. */
  step(deadline: number): boolean {
    this.scan();
    while (this.closedEnds.length > 0) {
      // closed blocks that arrived together render in one pass (each sanitize call has a fixed cost)
      let end = this.closedEnds.shift() as number;
      while (this.closedEnds.length > 0 && this.closedEnds[0] - this.renderedUpTo <= BLOCK_MARKDOWN_LIMIT
             && end - this.renderedUpTo < GROUP_CHARS) {
        end = this.closedEnds.shift() as number;
      }
      const source = this.text.slice(this.renderedUpTo, end);
      const block = this.renderBlock(source);
      const chunk = this.currentChunk(source.length);
      chunk.appendChild(block);
      if (block.querySelector(`pre.${PENDING_HIGHLIGHT}`)) {
        highlighter.watch(chunk);
      }
      this.renderedUpTo = end;
      this.tailShown = 0;
      this.resetTail();
      if (performance.now() > deadline && (this.closedEnds.length > 0 || this.renderedUpTo < this.text.length)) {
        return false;
      }
    }
    this.drawTail();
    this.dirty = false;
    return true;
  }

  /** Find block boundaries in the complete lines that arrived since the last scan. */
  private scan(): void {
    for (;;) {
      const newline = this.text.indexOf("\n", this.scanned);
      if (newline < 0) {
        break;
      }
      this.scanLine(this.scanned, newline + 1);
      this.scanned = newline + 1;
    }
    // a line still arriving that starts at the margin after a blank line already begins a new block
    if (!this.fence && this.blankSeen && this.scanned < this.text.length && !/\s/.test(this.text[this.scanned] ?? " ")) {
      this.closeBlockAt(this.scanned);
    }
    if (this.done && this.blockStart < this.text.length) {
      this.closeBlockAt(this.text.length);
    }
  }

  private scanLine(start: number, end: number): void {
    const line = this.text.slice(start, end).replace(/\r?\n$/, "");
    const fence = FENCE.exec(line);
    if (this.fence) {
      const closing = fence && fence[2][0] === this.fence.marker && fence[2].length >= this.fence.length
        && line.slice(fence[0].length).trim() === "";
      if (closing) {
        const topLevel = this.fence.topLevel;
        this.fence = null;
        if (topLevel) {
          this.closeBlockAt(end);
        }
      }
      return;
    }
    if (line.trim() === "") {
      this.blankSeen = this.blockStart < start || this.blankSeen;
      return;
    }
    const unindented = !/^\s/.test(line);
    if (fence && fence[1] === "") {
      this.closeBlockAt(start); // a fence at the margin interrupts any block and starts its own
    } else if (this.blankSeen && unindented) {
      this.closeBlockAt(start);
    }
    this.blankSeen = false;
    if (fence) {
      this.fence = { marker: fence[2][0], length: fence[2].length, topLevel: fence[1] === "" };
    }
  }

  private closeBlockAt(end: number): void {
    if (end > this.blockStart) {
      this.closedEnds.push(end);
      this.blockStart = end;
    }
    this.blankSeen = false;
  }

  private renderBlock(source: string): HTMLElement {
    const block = document.createElement("div");
    block.className = "md-block";
    if (source.trim() === "") {
      return block;
    }
    if (source.length > BLOCK_MARKDOWN_LIMIT) {
      const fenced = fencedCode(source);
      if (fenced !== null) {
        block.appendChild(plainCode(fenced));
      } else {
        block.appendChild(plainText(source));
      }
    } else {
      block.appendChild(renderMarkdownLazily(source)); // sanitised by DOMPurify; highlighted near view
    }
    wrapCodeBlocks(block);
    return block;
  }

  private newTail(): HTMLElement {
    const tail = document.createElement("div");
    tail.className = "md-block md-tail";
    this.root.appendChild(tail);
    this.tailMode = "markdown";
    this.tailShown = 0;
    this.tailText = null;
    return tail;
  }

  private resetTail(): void {
    this.tail.replaceChildren();
    this.tailMode = "markdown";
    this.tailText = null;
  }

  /** Show the open block: re-render it while small, else grow it by appending text. */
  private drawTail(): void {
    const open = this.text.slice(this.renderedUpTo);
    if (open === "") {
      this.resetTail();
      return;
    }
    const codeStart = this.fence?.topLevel ? this.text.indexOf("\n", this.renderedUpTo) + 1 : 0;
    if (this.fence?.topLevel && codeStart > 0) {
      if (this.tailMode !== "code") {
        this.tail.replaceChildren(this.growingCode());
        this.tailMode = "code";
        this.tailShown = codeStart - this.renderedUpTo;
      }
    } else if (open.length > TAIL_MARKDOWN_LIMIT) {
      if (this.tailMode !== "plain") {
        const node = plainText("");
        this.tail.replaceChildren(node);
        this.tailText = node.firstChild as Text;
        this.tailMode = "plain";
        this.tailShown = 0;
      }
    } else {
      this.tail.replaceChildren(renderMarkdownLazily(open)); // sanitised; bounded by TAIL_MARKDOWN_LIMIT
      wrapCodeBlocks(this.tail); // highlighted once the block closes
      this.tailMode = "markdown";
      return;
    }
    this.growTail(open.slice(this.tailShown));
    this.tailShown = open.length;
  }

  /**
   * Append text to the plain or code tail. It goes into pieces of about `PIECE_CHARS` cut at line ends, each
   * its own block: a growing tail costs the layout of its last piece, not of everything it holds.
   */
  private growTail(text: string): void {
    let piece = this.tailText;
    while (piece && text !== "") {
      const room = PIECE_CHARS - piece.length;
      const cut = text.length <= room ? -1 : text.indexOf("\n", Math.max(0, room - 1));
      if (cut < 0) {
        piece.appendData(text);
        return;
      }
      piece.appendData(text.slice(0, cut + 1));
      text = text.slice(cut + 1);
      if (text !== "") {
        piece = this.newPiece();
      }
    }
  }

  /** A new piece at the end of the tail (a `code` block inside the growing `pre`, or a plain-text block). */
  private newPiece(): Text {
    const holder = this.tailMode === "code" ? this.tail.querySelector("pre") ?? this.tail : this.tail;
    const element = document.createElement(this.tailMode === "code" ? "code" : "div");
    if (this.tailMode !== "code") {
      element.className = "plain-text";
    }
    const text = document.createTextNode("");
    element.appendChild(text);
    holder.appendChild(element);
    this.tailText = text;
    return text;
  }

  private growingCode(): HTMLElement {
    const pre = plainCode("");
    this.tailText = pre.querySelector("code")?.firstChild as Text;
    return pre;
  }
}

/** The code of a block that is one fenced code block (closed or not), else null. */
function fencedCode(source: string): string | null {
  const first = source.indexOf("\n");
  if (first < 0 || !FENCE.test(source)) {
    return null;
  }
  const body = source.slice(first + 1).replace(/\n?\s*(`{3,}|~{3,})\s*$/, "");
  return body;
}

function plainText(text: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "plain-text";
  div.appendChild(document.createTextNode(text));
  return div;
}

function plainCode(code: string): HTMLElement {
  const pre = document.createElement("pre");
  pre.className = "hljs";
  const element = document.createElement("code");
  element.appendChild(document.createTextNode(code));
  pre.appendChild(element);
  return pre;
}

/**
 * Runs renderers' pending work in animation frames, within a per-frame budget. New text is committed to the
 * page at most every `COMMIT_INTERVAL_MS` (work left over by a frame's budget goes on in the next frame): a
 * reply arriving in many small deltas costs one style, layout and paint per commit, not one per delta.
 */
class RenderScheduler {
  private readonly waiting = new Set<StreamingMarkdown>();
  /** A frame or a timer for the next one is queued. */
  private queued = false;
  private lastCommit = -Infinity;
  /** The last frame ran out of budget with renderer work left: go on at the next frame. */
  private behind = false;
  /** The end of the current task's budget for drawing ended replies at once (`finishNow`). */
  private syncDeadline: number | null = null;

  /** `renderer` has work; `now`: commit it at the next frame whatever the interval (the reply ended). */
  want(renderer: StreamingMarkdown, now = false): void {
    this.waiting.add(renderer);
    this.behind ||= now;
    this.showState();
    this.queue();
  }

  /** Run a frame for work that is not a renderer's (code come near view). */
  kick(): void {
    this.queue();
    this.showState();
  }

  /**
   * The reply ended: draw what is left at once, within one frame's budget, so the complete reply shows with
   * its usage line in the same frame; the rest (a long remainder) goes on in the next frames.
   */
  finishNow(renderer: StreamingMarkdown): void {
    if (this.syncDeadline === null) {
      // one budget for every reply ended by the same message (a restored conversation ends them all at once)
      this.syncDeadline = performance.now() + FRAME_BUDGET_MS;
      queueMicrotask(() => { this.syncDeadline = null; });
    }
    if (performance.now() < this.syncDeadline && (!renderer.root.isConnected || renderer.step(this.syncDeadline))) {
      this.waiting.delete(renderer);
      this.showState();
      return;
    }
    this.want(renderer, true);
  }

  private queue(): void {
    if (this.queued || (this.waiting.size === 0 && !highlighter.hasWork)) {
      return;
    }
    this.queued = true;
    const wait = this.behind || highlighter.hasWork ? 0 : this.lastCommit + COMMIT_INTERVAL_MS - performance.now();
    if (wait > 0) {
      setTimeout(() => requestAnimationFrame(() => this.frame()), wait);
    } else {
      requestAnimationFrame(() => this.frame());
    }
  }

  private frame(): void {
    this.queued = false;
    const now = performance.now();
    const deadline = now + FRAME_BUDGET_MS;
    if (this.waiting.size > 0 && (this.behind || now - this.lastCommit >= COMMIT_INTERVAL_MS)) {
      this.lastCommit = now;
      this.behind = false;
      for (const renderer of Array.from(this.waiting)) {
        if (!renderer.root.isConnected) {
          this.waiting.delete(renderer);
          continue;
        }
        if (renderer.step(deadline)) {
          this.waiting.delete(renderer);
        }
        if (performance.now() > deadline) {
          break;
        }
      }
      this.behind = this.waiting.size > 0;
    }
    highlighter.flush(deadline); // with the time the text left: new text first, colours after
    this.queue();
    this.showState();
  }

  /**
   * `document.body.dataset.rendering` is "false" once everything received is on screen, code near view
   * highlighted (tests and the bench wait on it).
   */
  showState(): void {
    const rendering = String(this.waiting.size > 0 || !highlighter.settled);
    if (document.body.dataset.rendering !== rendering) {
      document.body.dataset.rendering = rendering; // written only on change: each write invalidates style
    }
  }
}

export const scheduler = new RenderScheduler();
const highlighter = new NearViewHighlighter(() => scheduler.kick());
