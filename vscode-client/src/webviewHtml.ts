/** The chat webview's HTML shell with its Content-Security-Policy (pure: used by the extension and the tests). */

import { randomBytes } from "node:crypto";

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin local resources are served from. */
  cspSource: string;
  /** One-time nonce; only the script carrying it runs. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** A fresh base64 nonce (128 bits). */
export function makeNonce(): string {
  return randomBytes(16).toString("base64");
}

/** Strict policy: nothing remote, no inline script or style, only our nonce-carrying bundle. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderWebviewHtml(options: WebviewHtmlOptions): string {
  const csp = contentSecurityPolicy(options.cspSource, options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(options.styleUri)}">
<title>ChatLS</title>
</head>
<body>
<header class="toolbar">
  <details id="history">
    <summary>Conversations</summary>
    <input id="conversation-search" type="search" placeholder="Search conversations" aria-label="Search conversations">
    <ul id="conversation-list" aria-label="Conversations in this workspace"></ul>
  </details>
  <button id="new" type="button" title="New conversation">New</button>
  <button id="export" type="button" title="Export this conversation as Markdown" disabled>Export</button>
  <button id="delete" type="button" title="Delete this conversation" disabled>Delete</button>
</header>
<div class="pickers">
  <label>Profile <select id="profile" aria-label="Profile"></select></label>
  <label id="effort-label" hidden>Reasoning <select id="effort" aria-label="Reasoning effort"></select></label>
</div>
<div id="server-state" class="server-state" hidden></div>
<section id="setup" class="setup" hidden aria-labelledby="setup-title">
  <h2 id="setup-title">Set up ChatLS</h2>
  <p>Connect an Azure OpenAI deployment. This writes a profile to the <code>chatls.profiles</code> setting; an API key
  goes to VS Code's secret storage, never to settings.</p>
  <form novalidate>
    <label>Profile name <input name="name" type="text" value="default" autocomplete="off" spellcheck="false"></label>
    <label>Endpoint <input name="endpoint" type="url" placeholder="contoso.openai.azure.com" autocomplete="off" spellcheck="false"></label>
    <label>Deployment <input name="deployment" type="text" placeholder="gpt-4o" autocomplete="off" spellcheck="false"></label>
    <label>Authentication <select name="auth">
      <option value="apiKey">API key</option>
      <option value="entra">Microsoft Entra ID (az login)</option>
    </select></label>
    <label class="setup-key">API key <input name="apiKey" type="password" autocomplete="off"></label>
    <div class="setup-problem" role="alert" hidden></div>
    <button type="submit">Save and connect</button>
  </form>
</section>
<main id="messages" aria-live="polite"></main>
<div id="notes" class="notes" hidden></div>
<footer class="composer">
  <ul id="context-popup" class="context-popup" role="listbox" aria-label="Context to attach" hidden></ul>
  <div id="chips" class="chips" aria-label="Attached context" hidden></div>
  <textarea id="prompt" rows="3" placeholder="Ask ChatLS… (# to attach context, Enter to send, Shift+Enter for a new line)" aria-label="Message"></textarea>
  <div class="composer-buttons">
    <label class="agent-toggle" title="Agent mode: the model may read and search the workspace and propose edits (you review them)"><input id="agent" type="checkbox"> Agent</label>
    <button id="send" type="button">Send</button>
    <button id="stop" type="button" hidden>Stop</button>
  </div>
  <div id="budget" class="budget" aria-live="polite" hidden></div>
</footer>
<script nonce="${attr(options.nonce)}" src="${attr(options.scriptUri)}"></script>
</body>
</html>
`;
}
