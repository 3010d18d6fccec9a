"""Helpers shared by the test suites: `lsp` (LSP sessions against the emulator, recorders, settings builders),
`waiting` (waiting on conditions and events, never on the clock) and `code_server` (driving real VS Code)."""
