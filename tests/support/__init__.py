"""Helpers shared by the test suites (LSP sessions against the emulator, recorders, settings builders)."""
