/** Pure display helpers shared by the extension and the webview. */

import type { Usage } from "./protocol";

const number = new Intl.NumberFormat("en-US");

/** "1,234 in · 567 out (420 reasoning) · 100 cached". */
export function formatUsage(usage: Usage): string {
  const parts = [`${number.format(usage.promptTokens)} in`];
  let out = `${number.format(usage.completionTokens)} out`;
  if (usage.reasoningTokens > 0) {
    out += ` (${number.format(usage.reasoningTokens)} reasoning)`;
  }
  parts.push(out);
  if (usage.cachedTokens > 0) {
    parts.push(`${number.format(usage.cachedTokens)} cached`);
  }
  return `${parts.join(" · ")} tokens`;
}

/**
 * The status line `elapsed` seconds after the server sent `status`, so it keeps moving between
 * updates: "thinking 12 s" counts up, "… retrying in 8 s" counts down (never below 0).
 */
export function statusAt(status: string, elapsed: number): string {
  const whole = Math.max(0, Math.floor(elapsed));
  if (whole === 0) {
    return status;
  }
  const countdown = /^(.*\bin )(\d+)( ?s\b.*)$/.exec(status);
  if (countdown) {
    return `${countdown[1]}${Math.max(0, Number(countdown[2]) - whole)}${countdown[3]}`;
  }
  const elapsedTime = /^(.*\bthinking )(\d+)( ?s\b.*)$/i.exec(status);
  if (elapsedTime) {
    return `${elapsedTime[1]}${Number(elapsedTime[2]) + whole}${elapsedTime[3]}`;
  }
  return status;
}

/** The adaptation notes not shown before, in order, without duplicates. */
export function unseenNotes(notes: readonly string[], seen: ReadonlySet<string>): string[] {
  const fresh: string[] = [];
  for (const note of notes) {
    if (!seen.has(note) && !fresh.includes(note)) {
      fresh.push(note);
    }
  }
  return fresh;
}
