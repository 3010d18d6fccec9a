"""``python -m chatls.emulator``: the same as ``chatls emulator``."""

from __future__ import annotations

import argparse

from chatls.emulator.command import add_arguments, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="chatls emulator", description="Run a local Azure OpenAI emulator.")
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
