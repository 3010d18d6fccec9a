/** Model Markdown -> safe HTML: markdown-it with raw HTML off, highlight.js, then DOMPurify. */

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

const md: MarkdownIt = new MarkdownIt({
  html: false, // model output is untrusted: raw HTML stays text
  linkify: true,
  breaks: false,
  highlight(code: string, lang: string): string {
    const language = lang.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
    try {
      const html = language && hljs.getLanguage(language)
        ? hljs.highlight(code, { language, ignoreIllegals: true }).value
        : escapeHtml(code);
      return `<pre class="hljs"><code class="language-${escapeHtml(language || "text")}">${html}</code></pre>`;
    } catch {
      return `<pre class="hljs"><code>${escapeHtml(code)}</code></pre>`;
    }
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

/** Sanitised nodes for a (possibly still streaming) piece of Markdown. */
export function renderMarkdown(text: string): DocumentFragment {
  return DOMPurify.sanitize(md.render(text)) as unknown as DocumentFragment;
}
