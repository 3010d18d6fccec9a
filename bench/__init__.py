"""ChatLS benchmark suite: speed and memory targets, each measured against a baseline in the same run.

Run `python -m bench` from the repository root (`--quick` for a smoke run, `--only NAME` for one scenario).
Method and figures: docs/benchmarks.md.
"""
