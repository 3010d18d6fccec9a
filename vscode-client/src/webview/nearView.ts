/**
 * Code is highlighted only where it can be seen: a container of blocks waiting for highlight.js is watched by
 * one IntersectionObserver (on the scrolling message list, with a margin) and highlighted once it comes near
 * view, in the renderer's animation frames with the time the new text left (so its change is laid out and
 * painted with a frame's text, not in a frame of its own, and never delays input). A long reply streaming past
 * the view never pays for the colours of text nobody scrolled to.
 */

import { PENDING_HIGHLIGHT, highlightBlocks } from "./render";

/** How far outside the visible part of the list code is highlighted ahead of scrolling. */
export const NEAR_VIEW_PX = 800;

export class NearViewHighlighter {
  private observer: IntersectionObserver | null = null;
  /** Containers watched whose first report has not come yet (the panel is not settled before it has). */
  private readonly unsettled = new Set<Element>();
  /** Containers near view, to highlight in the next frame. */
  private readonly ready: Element[] = [];

  /** `onChange` is called when there is work for the next frame or the last report came. */
  constructor(private readonly onChange: () => void) {}

  /** True when every watched container near view is highlighted. */
  get settled(): boolean {
    return this.ready.length === 0 && this.reported;
  }

  /** True when some containers near view wait for `flush`. */
  get hasWork(): boolean {
    return this.ready.length > 0;
  }

  /** Highlight the containers that came near view, until `deadline` (the rest waits for the next frame). */
  flush(deadline: number): void {
    while (this.ready.length > 0 && performance.now() < deadline) {
      const container = this.ready.shift() as Element;
      highlightBlocks(Array.from(container.querySelectorAll<HTMLElement>(`pre.${PENDING_HIGHLIGHT}`)));
    }
  }

  private get reported(): boolean {
    for (const element of this.unsettled) {
      if (!element.isConnected) {
        this.unsettled.delete(element); // its reply was replaced: nothing left to wait for
        this.observer?.unobserve(element);
      }
    }
    return this.unsettled.size === 0;
  }

  /** `container` (in the document) holds blocks to highlight: do it once it is near view. */
  watch(container: HTMLElement): void {
    this.observer ??= new IntersectionObserver((entries) => this.report(entries), {
      root: scrollingAncestor(container),
      rootMargin: `${NEAR_VIEW_PX}px 0px`,
    });
    this.observer.unobserve(container); // observing again asks for a fresh report on the new blocks
    this.observer.observe(container);
    this.unsettled.add(container);
  }

  private report(entries: readonly IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      this.unsettled.delete(entry.target);
      if (entry.isIntersecting) {
        this.observer?.unobserve(entry.target);
        this.ready.push(entry.target);
      }
    }
    this.onChange();
  }
}

/** The nearest ancestor that scrolls vertically (the message list), or null for the viewport. */
function scrollingAncestor(element: HTMLElement): HTMLElement | null {
  for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(node).overflowY)) {
      return node;
    }
  }
  return null;
}
