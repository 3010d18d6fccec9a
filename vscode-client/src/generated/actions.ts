// Generated from server/chatls/action_specs.py by `python -m chatls.action_exports`; do not edit.
// tests/actions/test_action_table.py fails while this file differs from the server's table.

export type ActionResultGoesTo = "selection" | "testFile" | "chat";
export type InstructionNeed = "none" | "optional" | "required";

/** One code action as the server declares it. */
export interface ActionSpec {
  readonly command: string;
  /** Menu and palette title, after "ChatLS: ". */
  readonly title: string;
  /** Names the running action (progress, review). */
  readonly runningTitle: string;
  readonly kind: string;
  /** Whether it proposes an edit; otherwise its reply is an answer to read (the chat panel). */
  readonly edits: boolean;
  readonly result: ActionResultGoesTo;
  readonly instruction: InstructionNeed;
  readonly instructionPrompt: string;
  readonly instructionExample: string;
  /** Takes the problems reported in the selection. */
  readonly diagnostics: boolean;
  /** The user's message as the server stores it when they typed none. */
  readonly request: string;
}

export const COMMAND_PREFIX = "chatls.";
export const KIND_QUICKFIX = "quickfix.chatls";
export const KIND_REWRITE = "refactor.rewrite.chatls";
export const KIND_EXPLAIN = "refactor.chatls";
export const CMD_FIX = "chatls.fix";
export const CMD_EXPLAIN = "chatls.explain";
export const CMD_IMPROVE = "chatls.improve";
export const CMD_DOCUMENT = "chatls.document";
export const CMD_GENERATE_TESTS = "chatls.generateTests";
export const CMD_ASK_IN_CHAT = "chatls.askInChat";
export const CMD_EDIT_SELECTION = "chatls.editSelection";

/** Every code action, in the order the server offers them. */
export const ACTIONS: readonly ActionSpec[] = [
  {
    command: "chatls.fix",
    title: "Fix",
    runningTitle: "ChatLS: Fix",
    kind: "quickfix.chatls",
    edits: true,
    result: "selection",
    instruction: "none",
    instructionPrompt: "",
    instructionExample: "",
    diagnostics: true,
    request: "Fix the selected code",
  },
  {
    command: "chatls.explain",
    title: "Explain",
    runningTitle: "ChatLS: Explain",
    kind: "refactor.chatls",
    edits: false,
    result: "chat",
    instruction: "none",
    instructionPrompt: "",
    instructionExample: "",
    diagnostics: false,
    request: "Explain the selected code",
  },
  {
    command: "chatls.improve",
    title: "Improve",
    runningTitle: "ChatLS: Improve",
    kind: "refactor.rewrite.chatls",
    edits: true,
    result: "selection",
    instruction: "none",
    instructionPrompt: "",
    instructionExample: "",
    diagnostics: false,
    request: "Improve the selected code",
  },
  {
    command: "chatls.document",
    title: "Add documentation",
    runningTitle: "ChatLS: Add documentation",
    kind: "refactor.rewrite.chatls",
    edits: true,
    result: "selection",
    instruction: "none",
    instructionPrompt: "",
    instructionExample: "",
    diagnostics: false,
    request: "Add documentation to the selected code",
  },
  {
    command: "chatls.generateTests",
    title: "Generate tests",
    runningTitle: "ChatLS: Generate tests",
    kind: "refactor.chatls",
    edits: true,
    result: "testFile",
    instruction: "none",
    instructionPrompt: "",
    instructionExample: "",
    diagnostics: false,
    request: "Generate tests for the selected code",
  },
  {
    command: "chatls.askInChat",
    title: "Ask in chat",
    runningTitle: "ChatLS: Ask in chat",
    kind: "refactor.chatls",
    edits: false,
    result: "chat",
    instruction: "optional",
    instructionPrompt: "Question about the selection (leave empty for a general look)",
    instructionExample: "",
    diagnostics: false,
    request: "Tell me about the selected code",
  },
  {
    command: "chatls.editSelection",
    title: "Edit with instruction…",
    runningTitle: "ChatLS: Edit selection",
    kind: "refactor.rewrite.chatls",
    edits: true,
    result: "selection",
    instruction: "required",
    instructionPrompt: "How should the selection change?",
    instructionExample: "e.g. use a list comprehension",
    diagnostics: false,
    request: "Edit the selected code",
  },
];
