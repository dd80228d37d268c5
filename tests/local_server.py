"""What the tests that start `zhucan serve` share: an endpoints file for one local server."""
from __future__ import annotations

from pathlib import Path

from bot.plumbing.stores import write_endpoints


def sqlite_endpoints(directory: Path, action_url: str) -> Path:
    """An endpoints file in `directory`: the action server at `action_url`, conversations in an SQLite
    file beside it, kept by the project's tracker store (no words typed, numbers masked)."""
    return write_endpoints({
        "action_endpoint": {"url": action_url},
        "tracker_store": {"type": "bot.plumbing.tracker_store.PrivateSQLTrackerStore", "dialect": "sqlite",
                          "db": str(directory / "serve.db")},
    }, directory / "endpoints.yml")
