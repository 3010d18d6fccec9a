"""The code actions, one spec each: the one place where an action is declared.

Everything about an action comes from its row in `Action`: the code-action listing
(`features/code_actions.py`), the registered commands and how each one runs (`features/actions.py`), its
prompt (`prompts.build_action_prompt` fills the row's template), the table in docs/code-actions.md, and the VS
Code client's `src/generated/actions.ts` and package.json commands (`action_exports.py` renders those three;
tests fail when a checked-in copy differs from the table).

Plain data that imports nothing from chatls, so `protocol.py` can take its command ids from here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

COMMAND_PREFIX = "chatls."
TITLE_PREFIX = "ChatLS: "

# --- code action kinds ---------------------------------------------------------------------------
KIND_QUICKFIX = "quickfix.chatls"
KIND_REWRITE = "refactor.rewrite.chatls"
KIND_EXPLAIN = "refactor.chatls"  # explain/ask/tests change nothing in place, but editors list refactor.*
KINDS = (KIND_QUICKFIX, KIND_REWRITE, KIND_EXPLAIN)
"""Every kind an action may have, in the order the server advertises them."""


class Result(enum.Enum):
    """Where an action's result goes."""

    SELECTION = "selection"
    """The code in the reply replaces the selection (an edit, reviewed in the editor)."""
    TEST_FILE = "testFile"
    """The code in the reply goes into the conventional test file, created or appended to (an edit)."""
    CHAT = "chat"
    """The reply is the result: an answer to read, nothing is edited (VS Code shows it in the chat panel)."""


class Instruction(enum.Enum):
    """Whether an action takes the user's words (`SelectionArgs.instruction`)."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class ActionSpec:
    """One code action. Its prompt is a template whose fields `prompts.build_action_prompt` fills."""

    id: str
    """The command is `chatls.<id>`."""
    title: str
    """What the code-action menu and VS Code's command palette show, after "ChatLS: "."""
    kind: str
    """Its code-action kind, one of `KINDS` (clients filter the menu by kind)."""
    result: Result
    description: str
    """One or two sentences for the docs table."""
    request: str
    """The user's message as stored when they typed none: "<request> (<file>, lines <a>-<b>)"."""
    prompt: str
    """Rules for this turn's reply, a `str.format` template over `prompts.PROMPT_FIELDS`."""
    label: str = ""
    """Names the running action (progress, edit label, confirmation) when it differs from the title."""
    instruction: Instruction = Instruction.NONE
    instruction_prompt: str = ""
    """What a client asks the user for the instruction (VS Code's input box)."""
    instruction_example: str = ""
    diagnostics: bool = False
    """Offered only where the client reported problems; they travel in the argument and go to the model."""

    @property
    def command(self) -> str:
        return COMMAND_PREFIX + self.id

    @property
    def name(self) -> str:
        """What the running action is called: its label, else its title."""
        return self.label or self.title

    @property
    def running_title(self) -> str:
        """The title of its progress and of its edit in the editor's review."""
        return TITLE_PREFIX + self.name

    @property
    def edits(self) -> bool:
        """Whether the action proposes a workspace edit (else its reply is only read)."""
        return self.result is not Result.CHAT


class Action(enum.Enum):
    """The code actions, in the order the listing offers them (one member per action, valued by its spec)."""

    _value_: ActionSpec

    FIX = ActionSpec(
        id="fix",
        title="Fix",
        kind=KIND_QUICKFIX,
        result=Result.SELECTION,
        diagnostics=True,
        description=(
            "Fixes the problems that language servers reported in the selection. Offered only when the "
            "client sends diagnostics (`context.diagnostics`) that overlap the selection; their message, "
            "severity, source, code and line go to the model."
        ),
        request="Fix the selected code",
        prompt="{problems_goal}. Change only what the fix needs. {replacement_rules}",
    )
    EXPLAIN = ActionSpec(
        id="explain",
        title="Explain",
        kind=KIND_EXPLAIN,
        result=Result.CHAT,
        description="Explains the selected code. Changes nothing.",
        request="Explain the selected code",
        prompt=(
            "Explain what the selected code does and how, then anything surprising: edge cases, bugs, "
            "performance traps. Use the surrounding code for context, but explain the selection. Be concise "
            "and use Markdown."
        ),
    )
    IMPROVE = ActionSpec(
        id="improve",
        title="Improve",
        kind=KIND_REWRITE,
        result=Result.SELECTION,
        description=(
            "Rewrites the selection for clarity, robustness and efficiency, keeping its behaviour and "
            "interface."
        ),
        request="Improve the selected code",
        prompt=(
            "Improve the selected code's clarity, robustness and efficiency without changing what it does or "
            "its interface (names, signatures, return values). {replacement_rules}"
        ),
    )
    DOCUMENT = ActionSpec(
        id="document",
        title="Add documentation",
        kind=KIND_REWRITE,
        result=Result.SELECTION,
        description=(
            "Adds docstrings or doc comments in the language's usual style (PEP 257, JSDoc, Javadoc, `///`, "
            "…)."
        ),
        request="Add documentation to the selected code",
        prompt=(
            "Add documentation to the selected code using {doc_style}, and comments only where the code is "
            "not obvious. Do not change the code itself. {replacement_rules}"
        ),
    )
    GENERATE_TESTS = ActionSpec(
        id="generateTests",
        title="Generate tests",
        kind=KIND_EXPLAIN,
        result=Result.TEST_FILE,
        description="Writes tests into the conventional test file (below).",
        request="Generate tests for the selected code",
        prompt=(
            "Write unit tests for the selected code using {test_framework}. Cover typical inputs, edge cases "
            "and errors.{tests_import} Reply with exactly one fenced code block{code_tag} holding "
            "{tests_target}. Do not repeat the code under test."
        ),
    )
    ASK_IN_CHAT = ActionSpec(
        id="askInChat",
        title="Ask in chat",
        kind=KIND_EXPLAIN,
        result=Result.CHAT,
        instruction=Instruction.OPTIONAL,
        instruction_prompt="Question about the selection (leave empty for a general look)",
        description=(
            "Answers a question about the selection (`instruction` is the question). Changes nothing."
        ),
        request="Tell me about the selected code",
        prompt=(
            "The user's message is about the selected code in the attachment. Answer it using that code and "
            "its surroundings; quote the lines you refer to."
        ),
    )
    EDIT_SELECTION = ActionSpec(
        id="editSelection",
        title="Edit with instruction…",
        label="Edit selection",
        kind=KIND_REWRITE,
        result=Result.SELECTION,
        instruction=Instruction.REQUIRED,
        instruction_prompt="How should the selection change?",
        instruction_example="e.g. use a list comprehension",
        description=(
            "Changes the selection as `instruction` says. The VS Code extension asks for the instruction in "
            "an input box."
        ),
        request="Edit the selected code",
        prompt="Change the selected code as the user's message asks, and nothing else. {replacement_rules}",
    )

    @property
    def spec(self) -> ActionSpec:
        return self.value

    @property
    def command(self) -> str:
        return self.value.command

    @property
    def replaces_selection(self) -> bool:
        """Whether the reply's code replaces the selection."""
        return self.value.result is Result.SELECTION

    @classmethod
    def for_command(cls, command: str) -> Action | None:
        return next((action for action in cls if action.command == command), None)
