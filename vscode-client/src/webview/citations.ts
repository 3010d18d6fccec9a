/** On Your Data references under a reply: numbered like the [doc1], [doc2] … the answer refers to. */

import type { Citation } from "../protocol";

/** What a reference shows: its title, else its file path, else its URL, else its chunk. */
export function citationLabel(citation: Citation, number: number): string {
  return citation.title || citation.filepath || citation.url || (citation.chunkId ? `chunk ${citation.chunkId}` : `document ${number}`);
}

function safeLink(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Add (or replace) the reply's numbered footnotes; nothing when there are none. */
export function showCitations(container: HTMLElement, citations: readonly Citation[] | null | undefined): void {
  container.querySelector(":scope > .citations")?.remove();
  if (!citations || citations.length === 0) {
    return;
  }
  const list = document.createElement("ol");
  list.className = "citations";
  list.setAttribute("aria-label", "References");
  citations.forEach((citation, i) => {
    const item = document.createElement("li");
    item.id = `doc${i + 1}`;
    const marker = document.createElement("span");
    marker.className = "citation-number";
    marker.textContent = `[doc${i + 1}]`;
    const label = citationLabel(citation, i + 1);
    const link = citation.url ? safeLink(citation.url) : null;
    let title: HTMLElement;
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link; // VS Code opens http(s) links of a webview in the browser
      title = anchor;
    } else {
      title = document.createElement("span");
    }
    title.className = "citation-title";
    title.textContent = label;
    item.append(marker, " ", title);
    if (citation.filepath && citation.filepath !== label) {
      const path = document.createElement("span");
      path.className = "citation-path";
      path.textContent = citation.filepath;
      item.append(" ", path);
    }
    list.appendChild(item);
  });
  const usage = container.querySelector(":scope > .usage");
  container.insertBefore(list, usage);
}
