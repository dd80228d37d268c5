"""The code's own hygiene, where a mistake is silent: a module-level name defined twice replaces the first
definition without a word (a second _SELF in bot/nlu/understand.py once gave a son his mother's 没上班)."""
import ast
import collections
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "actions", "knowledge", "rules", "bench")


def _defined_twice(source: str) -> list[str]:
    seen: collections.Counter = collections.Counter()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            seen[node.name] += 1
        elif isinstance(node, ast.Assign):
            seen.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            seen[node.target.id] += 1
    return sorted(name for name, count in seen.items() if count > 1)


def test_the_check_finds_a_second_definition():
    assert _defined_twice("A = 1\ndef f(): pass\nA = 2\n") == ["A"]
    assert _defined_twice("A = 1\nif True:\n    B = 2\n") == []


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT) for package in PACKAGES
                                        for p in (ROOT / package).rglob("*.py")), ids=str)
def test_no_module_level_name_is_defined_twice(path):
    assert _defined_twice((ROOT / path).read_text(encoding="utf-8")) == []
