/** Server stderr -> log channel levels, so the server's INFO lines do not show up as errors. */

export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error";

const LEVELS: Record<string, LogLevelName> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
};

/** `2026-01-02 03:04:05,678 WARNING name: message` (the server's format, see chatls.logging_setup). */
const RECORD = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d+)? (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;

export interface ParsedLine {
  level: LogLevelName;
  /** The line without the server's own timestamp (the channel adds one). */
  text: string;
}

/**
 * Level and text of one stderr line. Lines that are not a record start (traceback lines, output of
 * libraries) keep the level of the record they follow; before any record they are warnings.
 */
export function parseServerLine(line: string, previous: LogLevelName | undefined): ParsedLine {
  const match = RECORD.exec(line);
  if (match) {
    return { level: LEVELS[match[1]] ?? "info", text: `${match[1]} ${match[2]}` };
  }
  return { level: previous ?? "warn", text: line };
}
