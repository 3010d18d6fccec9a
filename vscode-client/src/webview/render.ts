/**
 * Model Markdown -> safe nodes: markdown-it (raw HTML off) parses, and the nodes are built from its tokens with
 * an allowlist of elements and attributes (no HTML string is ever parsed). Code is highlighted by highlight.js
 * either at once (`renderMarkdown`) or later (`renderMarkdownLazily`: the block is marked `PENDING_HIGHLIGHT`
 * and `highlightBlocks` colours it when it comes near view); highlight.js's HTML goes through DOMPurify.
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

/** A fenced block in a language highlight.js knows here carries this class on its `pre` until highlighted. */
export const PENDING_HIGHLIGHT = "highlight-pending";

function languageOf(info: string): string {
  return info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
}

const md: MarkdownIt = new MarkdownIt({
  html: false, // model output is untrusted: raw HTML stays text
  linkify: true,
  breaks: false,
});

// Deeply nested quotes and lists stop nesting here instead of costing a deep render (markdown-it reads this
// option at parse time; its typings leave it out).
(md.options as { maxNesting?: number }).maxNesting = 20;

// Links open outside the webview through VS Code; only web and mail links are kept.
const SAFE_LINK = /^(https?:|mailto:)/i;

/**
 * The only elements a reply can produce, by markdown-it's tag name. Nodes are built from the parser's tokens
 * with `createElement` and `createTextNode`, never from an HTML string, so nothing else can appear: safe by
 * construction, with no sanitiser pass over every render (which cost more than the parse itself).
 */
const ELEMENTS = new Set([
  "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p",
  "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
]);

type Token = ReturnType<MarkdownIt["parse"]>[number];

/** The element for an opening or single token, with the few attributes a reply may carry. */
function elementFor(token: Token): HTMLElement | null {
  if (!ELEMENTS.has(token.tag)) {
    return null;
  }
  const element = document.createElement(token.tag);
  switch (token.tag) {
    case "a": {
      const href = token.attrGet("href") ?? "";
      if (SAFE_LINK.test(href)) {
        element.setAttribute("href", href);
      }
      const title = token.attrGet("title");
      if (title) {
        element.title = title;
      }
      element.setAttribute("rel", "noopener noreferrer");
      break;
    }
    case "ol": {
      const start = Number(token.attrGet("start"));
      if (Number.isInteger(start) && start !== 1) {
        (element as HTMLOListElement).start = start;
      }
      break;
    }
    case "th":
    case "td": {
      const align = /text-align:\s*(left|right|center)/.exec(token.attrGet("style") ?? "")?.[1];
      if (align) {
        element.setAttribute("align", align);
      }
      break;
    }
  }
  return element;
}

/** A fenced or indented code block: `pre.hljs > code.language-x`, marked for highlighting if the language is known. */
function codeBlock(code: string, info: string): HTMLElement {
  const language = languageOf(info);
  const pre = document.createElement("pre");
  pre.className = language !== "" && hljs.getLanguage(language) !== undefined ? `hljs ${PENDING_HIGHLIGHT}` : "hljs";
  const element = document.createElement("code");
  element.className = `language-${language || "text"}`;
  element.appendChild(document.createTextNode(code));
  pre.appendChild(element);
  return pre;
}

/** Append the nodes for `tokens` (block or inline) under `root`. */
function build(tokens: readonly Token[], root: Node): void {
  const stack: Node[] = [root];
  for (const token of tokens) {
    const parent = stack[stack.length - 1];
    if (token.nesting === 1) {
      // a tight list's hidden paragraph, or a tag outside the allowlist: its content goes to the parent
      const element = token.hidden ? null : elementFor(token);
      if (element) {
        parent.appendChild(element);
      }
      stack.push(element ?? parent);
      continue;
    }
    if (token.nesting === -1) {
      if (stack.length > 1) {
        stack.pop();
      }
      continue;
    }
    switch (token.type) {
      case "inline":
        build(token.children ?? [], parent);
        break;
      case "fence":
        parent.appendChild(codeBlock(token.content, token.info));
        break;
      case "code_block":
        parent.appendChild(codeBlock(token.content, ""));
        break;
      case "code_inline": {
        const code = document.createElement("code");
        code.textContent = token.content;
        parent.appendChild(code);
        break;
      }
      case "softbreak":
        parent.appendChild(document.createTextNode("\n"));
        break;
      case "hardbreak":
      case "hr": {
        const element = elementFor(token);
        if (element) {
          parent.appendChild(element);
        }
        break;
      }
      case "image": // images are not loaded in the panel: their description stays as text
        build(token.children ?? [], parent);
        break;
      default: // text, text_special, and raw HTML (kept as text)
        if (token.content) {
          parent.appendChild(document.createTextNode(token.content));
        }
    }
  }
}

/** Safe nodes for a piece of Markdown whose code blocks are left for `highlightBlocks`. */
export function renderMarkdownLazily(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  build(md.parse(text, {}), fragment);
  return fragment;
}

/** Safe nodes for a piece of Markdown, code highlighted at once. */
export function renderMarkdown(text: string): DocumentFragment {
  const fragment = renderMarkdownLazily(text);
  highlightBlocks(Array.from(fragment.querySelectorAll<HTMLElement>(`pre.${PENDING_HIGHLIGHT}`)));
  return fragment;
}

// highlight.js's output is spans with classes around escaped text; anything else is dropped. Parsed once (a
// config passed to every sanitize call is re-read each time), returning nodes ready to insert.
DOMPurify.setConfig({ ALLOWED_TAGS: ["code", "span"], ALLOWED_ATTR: ["class"], ALLOW_DATA_ATTR: false, RETURN_DOM_FRAGMENT: true });

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
