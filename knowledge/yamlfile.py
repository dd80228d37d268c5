"""YAML read with libyaml's C parser when PyYAML has it (a few times faster than the pure-Python one):
the rule files, the facts, the lexicon, the places and the sources' front matter are read at every
start of `zhucan check`. Same safe loader, same types, same errors (yaml.YAMLError, with marks)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_text(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


def load_file(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_LOADER)
