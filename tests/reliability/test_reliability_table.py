"""scripts/reliability_table.py: junit report → one row per test function → the table in the docs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reliability_table.py"

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.reliability.test_a" name="test_one">
    <properties><property name="guarantee" value="answers | always" /></properties>
  </testcase>
  <testcase classname="tests.reliability.test_a" name="test_cases[x]">
    <properties><property name="guarantee" value="cases hold" /></properties>
  </testcase>
  <testcase classname="tests.reliability.test_a" name="test_cases[y]">
    <properties><property name="guarantee" value="cases hold" /></properties>
    <failure message="boom">trace</failure>
  </testcase>
  <testcase classname="tests.reliability.test_b" name="test_skipped">
    <skipped message="no chromium" />
  </testcase>
</testsuite></testsuites>
"""


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reliability_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability_table"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.guarantee("the table groups parametrised cases and names each test")
def test_rows_group_parametrised_cases_and_name_their_test(script: ModuleType) -> None:
    rows = script.rows_from_junit(REPORT)
    assert [(r.test, r.guarantee, r.result) for r in rows] == [
        ("tests/reliability/test_a.py::test_one", "answers | always", "passes"),
        ("tests/reliability/test_a.py::test_cases", "cases hold", "**FAILS** (1 of 2)"),
        ("tests/reliability/test_b.py::test_skipped", "test skipped", "skipped"),
    ]


@pytest.mark.guarantee("the table script rewrites only its own part of the doc")
def test_the_table_replaces_only_what_is_between_its_markers(script: ModuleType) -> None:
    table = script.render(script.rows_from_junit(REPORT), "2026-01-01 00:00 UTC")
    assert "| answers \\| always | `tests/reliability/test_a.py::test_one` | passes |" in table
    assert "2 of 3 guarantees hold" in table
    document = f"# Reliability\n\nintro\n\n{script.START}\nold table\n{script.END}\n\n## More\n"
    rewritten = script.rewrite(document, table)
    assert rewritten == f"# Reliability\n\nintro\n\n{table}\n\n## More\n"
    assert script.rewrite("# New\n", table) == f"# New\n\n{table}\n"


@pytest.mark.guarantee("the table script rewrites the doc from a junit report")
def test_the_command_rewrites_a_document_from_a_report(script: ModuleType, tmp_path: Path) -> None:
    report, doc = tmp_path / "r.xml", tmp_path / "reliability.md"
    report.write_text(REPORT)
    doc.write_text(f"intro\n{script.START}\n{script.END}\nrest\n")
    assert script.main(["--junit", str(report), "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "test_cases" in text
