"""The scale tests: a real PostgreSQL and Redis, several Rasa servers. Run by `make test-scale` only.

`make test` collects nothing here (they need the Debian packages and several minutes); `make
test-scale` installs the packages and runs them with ZHUCAN_SCALE=1. Figures are printed at the end.
"""
from __future__ import annotations

import os

import pytest

if not os.environ.get("ZHUCAN_SCALE"):
    collect_ignore_glob = ["test_*.py"]

def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from scale.services import FIGURES

    for section, lines in FIGURES.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres():
    from scale.services import Postgres

    server = Postgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server():
    from scale.services import Redis

    server = Redis()
    try:
        yield server.start()
    finally:
        server.stop()
