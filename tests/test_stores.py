"""bot.plumbing.stores and zhucan serve's settings: where conversations and locks go, what the operator is told.

No server is started here (tests/scale does that): these are the settings a person types, the
endpoints Rasa is given for them, and what is printed, which must never show a password.
"""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.plumbing import stores
from bot.plumbing.serve import ENDPOINTS, main, rasa_plan
from bot.plumbing.stores import LOCK_ENV, TRACKER_ENV, SettingError

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t-Pa55"
PG = f"postgresql://zhucan:{SECRET}@db.internal:5432/zhucan"
REDIS = f"redis://:{SECRET}@redis.internal:6379/1"


def args(**given):
    base = {"tracker_store": None, "lock_store": None, "action_server": None, "endpoints": ENDPOINTS}
    return SimpleNamespace(**{**base, **given})


# --- URLs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url,expected", [
    (PG, PG), (PG.replace("postgresql", "postgres", 1), PG),  # postgres:// spelled as SQLAlchemy reads it
    (PG.replace("postgresql", "postgresql+psycopg2", 1), PG.replace("postgresql", "postgresql+psycopg2", 1))])
def test_a_postgresql_url_is_kept_out_of_the_endpoints_and_shown_without_its_password(url, expected):
    store = stores.tracker_store(url)
    assert store.kind == "postgresql" and store.shared
    assert store.shown == "PostgreSQL " + expected.replace(SECRET, "***")
    assert store.section == {"type": "bot.plumbing.tracker_store.PrivateSQLTrackerStore", "url": "${%s}" % TRACKER_ENV}
    assert store.env == {TRACKER_ENV: expected}


def test_a_sqlite_url_is_a_file_relative_to_where_serve_was_started(tmp_path):
    store = stores.tracker_store("sqlite:///state/conversations.db", cwd=tmp_path)
    assert store.kind == "sqlite" and not store.shared
    assert store.section["db"] == str(tmp_path / "state" / "conversations.db")
    assert stores.tracker_store("sqlite:////srv/zhucan.db").section["db"] == "/srv/zhucan.db"


@pytest.mark.parametrize("url,words", [
    (f"mysql://root:{SECRET}@db/zhucan", "must be a PostgreSQL or SQLite URL"),
    (f"postgresql://zhucan:{SECRET}@db.internal:5432", "names no database"),
    (f"postgresql://zhucan:{SECRET}@db.internal:port/zhucan", "is not a valid postgresql URL"),
    ("db.internal", "must be a PostgreSQL or SQLite URL"),
    ("sqlite://", "needs a file"),
])
def test_a_bad_tracker_store_url_is_named_without_its_password(url, words):
    with pytest.raises(SettingError) as err:
        stores.tracker_store(url, "--tracker-store")
    assert words in str(err.value) and str(err.value).startswith("--tracker-store")
    assert SECRET not in str(err.value)


def test_a_redis_url_becomes_our_lock_store():
    store = stores.lock_store(REDIS)
    assert store.kind == "redis" and store.shown == "Redis redis://:***@redis.internal:6379/1"
    assert store.section == {"type": "bot.plumbing.lock_store.RedisLockStore", "url": "${%s}" % LOCK_ENV}
    assert store.env == {LOCK_ENV: REDIS}
    assert stores.lock_store("rediss://cache:6380").shown == "Redis rediss://cache:6380/0"


@pytest.mark.parametrize("url,words", [
    (f"http://:{SECRET}@redis.internal:6379/1", "must be a Redis URL"),
    (f"redis://:{SECRET}@redis.internal:port/1", "bad port"),
    (f"redis://:{SECRET}@redis.internal:6379/one", "must be a number"),
    (f"redis://:{SECRET}@/1", "must be a Redis URL"),
])
def test_a_bad_lock_store_url_is_named_without_its_password(url, words):
    with pytest.raises(SettingError) as err:
        stores.lock_store(url)
    assert words in str(err.value) and SECRET not in str(err.value)


def test_flags_win_over_the_environment_and_nothing_set_means_the_files_defaults():
    environ = {TRACKER_ENV: PG, LOCK_ENV: REDIS, "ZHUCAN_ACTION_SERVER_URL": "http://actions:5055"}
    tracker, lock, action = stores.settings(environ, tracker="sqlite:////tmp/x.db")
    assert tracker.kind == "sqlite" and lock.kind == "redis" and action == "http://actions:5055/webhook"
    assert stores.settings({}) == (None, None, None)


# --- the endpoints Rasa gets, and what the operator is told ------------------------------------------

def test_default_serve_is_sqlite_and_in_memory_locks_claimed_for_one_server():
    plan, action = rasa_plan(args(), environ={})
    assert action is None
    assert plan.endpoints["tracker_store"] == {"type": "bot.plumbing.tracker_store.PrivateSQLTrackerStore",
                                              "dialect": "sqlite", "db": "var/zhucan.db", "single_server": True}
    assert "lock_store" not in plan.endpoints
    assert plan.endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}
    assert plan.notes == ["conversations: SQLite var/zhucan.db; locks: this server's memory"]


def test_postgresql_without_redis_warns_that_this_must_be_the_only_server():
    plan, _ = rasa_plan(args(), environ={TRACKER_ENV: PG})
    assert plan.endpoints["tracker_store"]["single_server"] is True
    warning = plan.notes[-1]
    assert warning.startswith("WARNING: ") and "ONLY server" in warning and LOCK_ENV in warning
    assert "refused" in warning
    assert SECRET not in " ".join(plan.notes) and SECRET not in str(plan.endpoints)
    assert plan.env == {TRACKER_ENV: PG}  # the URL reaches Rasa through its environment only


def test_postgresql_with_redis_is_one_of_several_servers_and_needs_no_warning():
    plan, _ = rasa_plan(args(lock_store=REDIS, action_server="http://actions.internal:5055/webhook"),
                        environ={TRACKER_ENV: PG})
    assert plan.endpoints["tracker_store"]["single_server"] is False
    assert plan.endpoints["lock_store"] == {"type": "bot.plumbing.lock_store.RedisLockStore", "url": "${%s}" % LOCK_ENV}
    assert plan.endpoints["action_endpoint"]["url"] == "http://actions.internal:5055/webhook"
    assert not any("WARNING" in n for n in plan.notes)
    assert any("the password in --lock-store can be read by every user" in n for n in plan.notes)
    assert plan.env == {TRACKER_ENV: PG, LOCK_ENV: REDIS}


def test_an_endpoints_file_with_its_own_stores_is_read_as_written(tmp_path, monkeypatch):
    """PostgreSQL and Rasa's `type: redis` in a hand-written file: the redis lock becomes ours,
    ${VAR} stays for Rasa to fill in (no secret is written into the file Rasa reads)."""
    monkeypatch.setenv("ZHUCAN_DB_PASSWORD", SECRET)
    written = tmp_path / "endpoints.yml"
    written.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n"
                       "tracker_store:\n  type: bot.plumbing.tracker_store.PrivateSQLTrackerStore\n  dialect: postgresql\n"
                       "  url: db.internal\n  db: zhucan\n  username: zhucan\n  password: ${ZHUCAN_DB_PASSWORD}\n"
                       "lock_store:\n  type: redis\n  url: redis.internal\n  port: 6379\n  db: 1\n", encoding="utf-8")
    plan, _ = rasa_plan(args(endpoints=written), environ={})
    assert plan.endpoints["tracker_store"]["password"] == "${ZHUCAN_DB_PASSWORD}"
    assert plan.endpoints["tracker_store"]["single_server"] is False
    assert plan.endpoints["lock_store"]["type"] == "bot.plumbing.lock_store.RedisLockStore"
    out = stores.write_endpoints(plan.endpoints, tmp_path / "for-rasa.yml").read_text(encoding="utf-8")
    assert SECRET not in out and "${ZHUCAN_DB_PASSWORD}" in out
    assert plan.notes[0] == ("conversations: PostgreSQL zhucan@db.internal/zhucan; "
                             "locks: bot.plumbing.lock_store.RedisLockStore at redis.internal")


def test_a_file_whose_store_url_comes_from_the_environment_gets_the_warning_too(tmp_path):
    written = tmp_path / "endpoints.yml"
    written.write_text("tracker_store:\n  type: bot.plumbing.tracker_store.PrivateSQLTrackerStore\n"
                       "  url: ${DATABASE_URL}\n", encoding="utf-8")
    plan, _ = rasa_plan(args(endpoints=written), environ={"DATABASE_URL": PG})
    assert plan.tracker.shown == "PostgreSQL postgresql://zhucan:***@db.internal:5432/zhucan"
    assert plan.notes[-1].startswith("WARNING: ") and SECRET not in " ".join(plan.notes)
    plan, _ = rasa_plan(args(endpoints=written), environ={})  # not set here: could be any database
    assert plan.notes[-1].startswith("WARNING: ") and plan.endpoints["tracker_store"]["single_server"] is True


def test_serve_refuses_a_bad_setting_before_loading_anything(capsys, monkeypatch):
    monkeypatch.setenv(LOCK_ENV, f"http://:{SECRET}@redis.internal/1")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zhucan serve: ZHUCAN_LOCK_STORE_URL must be a Redis URL") and SECRET not in err


def test_serve_help_lists_the_settings():
    out = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    for word in ("--tracker-store", "--lock-store", "--action-server", "--actions-only", TRACKER_ENV, LOCK_ENV,
                 "ZHUCAN_ACTION_SERVER_URL", "TICKET_LOCK_LIFETIME", "ONE server only", "docs/deploy.md"):
        assert word in out, word
