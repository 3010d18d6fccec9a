/**
 * Model Markdown -> safe nodes: markdown-it with raw HTML off, then DOMPurify. Code is highlighted by
 * highlight.js either at once (`renderMarkdown`) or later (`renderMarkdownLazily`: the block is marked
 * `PENDING_HIGHLIGHT` and `highlightBlocks` colours it when it comes near view); both outputs are sanitised.
 */

import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";

const languages = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) {
  hljs.registerLanguage(name, language);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A fenced block in a language highlight.js knows here carries this class on its `pre` until highlighted. */
export const PENDING_HIGHLIGHT = "highlight-pending";

function languageOf(info: string): string {
  return info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
}

const md: MarkdownIt = new MarkdownIt({
  html: false, // model output is untrusted: raw HTML stays text
  linkify: true,
  breaks: false,
  // Code is emitted as escaped text; highlight.js runs later on what is in view (see highlightBlocks).
  highlight(code: string, lang: string): string {
    const language = languageOf(lang);
    const pending = language !== "" && hljs.getLanguage(language) !== undefined ? ` ${PENDING_HIGHLIGHT}` : "";
    return `<pre class="hljs${pending}"><code class="language-${escapeHtml(language || "text")}">${escapeHtml(code)}</code></pre>`;
  },
});

// Deeply nested quotes and lists stop nesting here instead of costing a deep render (markdown-it reads this
// option at parse time; its typings leave it out).
(md.options as { maxNesting?: number }).maxNesting = 20;

// Links open outside the webview through VS Code; only web and mail links are kept.
const SAFE_LINK = /^(https?:|mailto:)/i;
DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href") ?? "";
    if (!SAFE_LINK.test(href)) {
      node.removeAttribute("href");
    }
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const PURIFY_CONFIG = {
  ALLOWED_TAGS: [
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li",
    "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
  ],
  ALLOWED_ATTR: ["href", "title", "class", "start", "align"],
  ALLOW_DATA_ATTR: false,
};

// Parsed once (a config passed to every sanitize call is re-read each time); the result is nodes ready to
// insert, so the HTML is not parsed a second time through innerHTML.
DOMPurify.setConfig({ ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true });

/** Sanitised nodes for a piece of Markdown whose code blocks are left for `highlightBlocks`. */
export function renderMarkdownLazily(text: string): DocumentFragment {
  return DOMPurify.sanitize(md.render(text)) as unknown as DocumentFragment;
}

/** Sanitised nodes for a piece of Markdown, code highlighted at once. */
export function renderMarkdown(text: string): DocumentFragment {
  const fragment = renderMarkdownLazily(text);
  highlightBlocks(Array.from(fragment.querySelectorAll<HTMLElement>(`pre.${PENDING_HIGHLIGHT}`)));
  return fragment;
}

/**
 * Colour code blocks left pending by `renderMarkdownLazily`: highlight.js's HTML for all of them goes through
 * one sanitize call, then replaces each block's text. A block whose text does not survive as is stays plain.
 */
export function highlightBlocks(blocks: readonly HTMLElement[]): void {
  const codes: HTMLElement[] = [];
  const html: string[] = [];
  for (const pre of blocks) {
    pre.classList.remove(PENDING_HIGHLIGHT);
    const code = pre.querySelector("code");
    const language = /(?:^|\s)language-(\S+)/.exec(code?.className ?? "")?.[1] ?? "";
    if (!code || !hljs.getLanguage(language)) {
      continue;
    }
    try {
      html.push(`<code>${hljs.highlight(code.textContent ?? "", { language, ignoreIllegals: true }).value}</code>`);
      codes.push(code);
    } catch {
      // highlight.js gave up on this text: it stays plain
    }
  }
  if (codes.length === 0) {
    return;
  }
  const coloured = Array.from((DOMPurify.sanitize(html.join("")) as unknown as DocumentFragment).children);
  codes.forEach((code, i) => {
    const colouredCode = coloured[i];
    if (colouredCode && colouredCode.textContent === code.textContent) {
      code.textContent = "";
      while (colouredCode.firstChild) {
        code.appendChild(colouredCode.firstChild);
      }
    }
  });
}
