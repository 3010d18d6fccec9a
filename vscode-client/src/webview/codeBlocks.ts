/** Code blocks in rendered replies: a bar with Copy, Insert and Apply to selection, each posting the exact code. */

export type CodeAction = "copy" | "insert" | "apply";

const ACTIONS: readonly (readonly [string, CodeAction, string])[] = [
  ["Copy", "copy", "Copy to clipboard"],
  ["Insert", "insert", "Insert at the cursor"],
  ["Apply to selection", "apply", "Replace the editor's selection with this code"],
];

/** Wrap each `pre` under `root` (not wrapped yet) with the action bar. */
export function decorateCodeBlocks(root: HTMLElement, onAction: (action: CodeAction, code: string) => void): void {
  for (const pre of Array.from(root.querySelectorAll("pre"))) {
    if (pre.parentElement?.classList.contains("code-block")) {
      continue;
    }
    const code = pre.querySelector("code");
    const wrapper = document.createElement("div");
    wrapper.className = "code-block";
    const bar = document.createElement("div");
    bar.className = "code-actions";
    const codeText = (): string => (code ?? pre).textContent?.replace(/\n$/, "") ?? "";
    for (const [label, action, title] of ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `code-${action}`;
      button.textContent = label;
      button.title = title;
      button.addEventListener("click", () => onAction(action, codeText()));
      bar.appendChild(button);
    }
    pre.replaceWith(wrapper);
    wrapper.append(bar, pre);
  }
}
