"""Each module in chatls/features is one feature: it imports none of its siblings (shared helpers live outside
features/), so a feature can be read, changed or removed alone."""

from __future__ import annotations

import ast
import importlib
import inspect
import typing
from pathlib import Path

import chatls.features

FEATURES = Path(chatls.features.__file__).parent
PACKAGE = "chatls.features"


def sibling_imports(source: str, module: str) -> list[str]:
    """The sibling feature modules `source` (the module `chatls.features.<module>`) imports, at any depth."""
    siblings = {path.stem for path in FEATURES.glob("*.py")} - {"__init__", module}
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: `from . import chat`, `from .chat import x`
                base = node.module or ""
                names = [f"{PACKAGE}.{base}".rstrip(".")] + [f"{PACKAGE}.{a.name}" for a in node.names]
            else:
                base = node.module or ""
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[:2] == ["chatls", "features"] and len(parts) > 2 and parts[2] in siblings:
                found.append(name)
    return found


def test_no_feature_module_imports_a_sibling() -> None:
    offenders = {
        path.name: sibling_imports(path.read_text(encoding="utf-8"), path.stem)
        for path in sorted(FEATURES.glob("*.py"))
        if path.stem != "__init__"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_every_way_of_importing_a_sibling() -> None:
    cases = [
        "from chatls.features.chat import send_delta",
        "from chatls.features import chat",
        "import chatls.features.chat",
        "from .chat import send_delta",
        "from . import chat",
        "def f():\n    from chatls.features.chat import send_delta",
    ]
    for source in cases:
        assert sibling_imports(source, "actions"), source
    assert sibling_imports("from chatls.lsp_edge import send_delta", "actions") == []
    assert sibling_imports("from chatls.features.chat import x", "chat") == []  # itself, not a sibling


TYPED_MODULES = ("chatls.features.chat", "chatls.features.conversations", "chatls.features.lifecycle")
"""Modules whose handlers are typed end to end (features/actions.py and code_actions.py: not yet)."""


def test_handlers_take_and_return_classes_never_any() -> None:
    checked = 0
    for name in TYPED_MODULES:
        module = importlib.import_module(name)
        for function_name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            if function.__module__ != name or function_name.startswith("_"):
                continue
            hints = typing.get_type_hints(function)
            assert "return" in hints, f"{name}.{function_name} declares no result type"
            for what, hint in hints.items():
                assert hint is not typing.Any, f"{name}.{function_name}: {what} is Any"
                assert "Any" not in repr(hint), f"{name}.{function_name}: {what} is {hint!r}"
            checked += 1
    assert checked >= 10
