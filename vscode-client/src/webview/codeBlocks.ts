/**
 * Code blocks in rendered replies: a bar with Copy, Insert and Apply to selection, each posting the exact code.
 * Each bar is a clone of one template (no per-button setup) and one click listener per reply serves them all.
 */

export type CodeAction = "copy" | "insert" | "apply";

const ACTIONS: readonly (readonly [string, CodeAction, string])[] = [
  ["Copy", "copy", "Copy to clipboard"],
  ["Insert", "insert", "Insert at the cursor"],
  ["Apply to selection", "apply", "Replace the editor's selection with this code"],
];

let template: HTMLElement | null = null;

function barTemplate(): HTMLElement {
  if (!template) {
    template = document.createElement("div");
    template.className = "code-actions";
    for (const [label, action, title] of ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `code-${action}`;
      button.textContent = label;
      button.title = title;
      button.dataset.action = action;
      template.appendChild(button);
    }
  }
  return template;
}

/** Wrap each `pre` under `root` (not wrapped yet) with the action bar; `listenForCodeActions` handles clicks. */
export function wrapCodeBlocks(root: HTMLElement | DocumentFragment): void {
  for (const pre of Array.from(root.querySelectorAll("pre"))) {
    if (pre.parentElement?.classList.contains("code-block")) {
      continue;
    }
    const wrapper = document.createElement("div");
    wrapper.className = "code-block";
    pre.replaceWith(wrapper);
    wrapper.append(barTemplate().cloneNode(true), pre);
  }
}

/** The exact code of a wrapped block (the renderer's final newline left out). */
export function codeOf(block: Element): string {
  const pre = block.querySelector(":scope > pre");
  const code = pre?.querySelector("code") ?? pre;
  return code?.textContent?.replace(/\n$/, "") ?? "";
}

/** One listener on `container` for the bars of every code block inside it. */
export function listenForCodeActions(container: HTMLElement, onAction: (action: CodeAction, code: string) => void): void {
  container.addEventListener("click", (event) => {
    const button = (event.target as Element | null)?.closest?.("button");
    const bar = button?.parentElement;
    const block = bar?.parentElement;
    const action = button?.dataset.action;
    if (!button || !bar?.classList.contains("code-actions") || !block?.classList.contains("code-block")
        || !container.contains(block) || !ACTIONS.some(([, known]) => known === action)) {
      return;
    }
    onAction(action as CodeAction, codeOf(block));
  });
}
