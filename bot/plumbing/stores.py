"""Where `zhucan serve` keeps conversations and locks: two settings in, Rasa's endpoint configuration out.

    setting (flag wins)                              default
    --tracker-store URL   ZHUCAN_TRACKER_STORE_URL   the tracker store of the endpoints file: SQLite var/zhucan.db
    --lock-store URL      ZHUCAN_LOCK_STORE_URL      Rasa's in-memory lock store: one server only
    --action-server URL   ZHUCAN_ACTION_SERVER_URL   start an action server beside the Rasa server

The tracker store keeps every conversation (its events, redacted by bot.plumbing.tracker_store). The lock store
holds one lock per conversation so that two messages of one person are never answered at the same
time: the in-memory one lives inside one server process, so with several servers each would hold its
own and two of them could answer one person at once, each writing its own continuation of the
conversation. Several servers therefore need both a shared tracker store (PostgreSQL) and a shared lock
store (Redis):

    postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]   (postgres:// is the same)
    sqlite:///relative/path.db  sqlite:////absolute/path.db                 (one machine)
    redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   rediss://... for TLS

The URLs may hold passwords, so nothing here prints one: what is shown has it replaced by ***, the
endpoints file handed to Rasa refers to the environment variable instead of holding the URL, and the
URL itself reaches the Rasa process only through its environment. PostgreSQL also reads a password from
PGPASSWORD or ~/.pgpass, so the URL can go without one.

Nothing here imports Rasa: `zhucan serve --help` and these checks stay fast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TRACKER_ENV = "ZHUCAN_TRACKER_STORE_URL"
LOCK_ENV = "ZHUCAN_LOCK_STORE_URL"
ACTION_ENV = "ZHUCAN_ACTION_SERVER_URL"
PRIVATE_STORE = "bot.plumbing.tracker_store.PrivateSQLTrackerStore"
REDIS_LOCK_STORE = "bot.plumbing.lock_store.RedisLockStore"
HIDDEN = "***"


class SettingError(ValueError):
    """A setting that cannot be used; the message names it and what it accepts, never a password."""


@dataclass(frozen=True)
class Store:
    """One store as the Rasa server gets it.

    kind: "sqlite", "postgresql" (or another SQL backend from an endpoints file), "memory", "redis";
    shown: where it is, fit to print; section: its part of endpoints.yml (no secret in it);
    env: what the Rasa process needs in its environment for that section (the URL)."""
    kind: str
    shown: str
    section: dict | None
    env: dict = field(default_factory=dict)

    @property
    def shared(self) -> bool:
        """Several servers can use it at once (a database server, not a file or a process's memory)."""
        return self.kind not in ("sqlite", "memory")


def _named(source: str) -> str:
    return f"{source} " if source else ""


def tracker_store(url: str, source: str = TRACKER_ENV, cwd: Path | None = None) -> Store:
    """The tracker store of a URL (PostgreSQL or SQLite); SettingError if it cannot be one."""
    from sqlalchemy.engine import make_url

    text = (url or "").strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        text = _postgresql(text)
    elif scheme != "sqlite":
        raise SettingError(
            f"{_named(source)}must be a PostgreSQL or SQLite URL: postgresql://USER@HOST:5432/DATABASE "
            f"or sqlite:///path/to/file.db" + (f" (not {scheme}://)" if scheme else ""))
    try:
        parsed = make_url(text)
        parsed.port  # noqa: B018 (a bad port raises here)
    except Exception:  # the parser's own message repeats the URL, password and all
        raise SettingError(f"{_named(source)}is not a valid {scheme} URL; expected e.g. "
                           f"postgresql://zhucan@db.internal:5432/zhucan") from None
    if scheme == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SettingError(f"{_named(source)}needs a file: sqlite:///var/zhucan.db")
        path = Path(parsed.database).expanduser()
        if not path.is_absolute():
            path = (cwd or Path.cwd()) / path
        return Store("sqlite", f"SQLite {path}",
                     {"type": PRIVATE_STORE, "dialect": "sqlite", "db": str(path)})
    if not parsed.database:
        raise SettingError(f"{_named(source)}names no database: "
                           f"{parsed.render_as_string(hide_password=True)} (add /DATABASE)")
    shown = parsed.render_as_string(hide_password=True)
    return Store("postgresql", f"PostgreSQL {shown}",
                 {"type": PRIVATE_STORE, "url": "${" + TRACKER_ENV + "}"}, {TRACKER_ENV: text})


def lock_store(url: str, source: str = LOCK_ENV) -> Store:
    """The Redis lock store of a URL; SettingError if it cannot be one."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingError(f"{_named(source)}has a bad port; expected e.g. redis://redis.internal:6379/1") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SettingError(f"{_named(source)}must be a Redis URL: redis://[:PASSWORD@]HOST[:6379][/DB] "
                           f"(rediss:// for TLS)")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise SettingError(f"{_named(source)}: the database after the host must be a number, e.g. /1")
    user = parts.username or ""
    secret = f"{user}:{HIDDEN}@" if parts.password is not None else (f"{user}@" if user else "")
    shown = f"{parts.scheme}://{secret}{parts.hostname}:{port or 6379}/{db or 0}"
    return Store("redis", f"Redis {shown}", {"type": REDIS_LOCK_STORE, "url": "${" + LOCK_ENV + "}"},
                 {LOCK_ENV: text})


def action_server(url: str, source: str = ACTION_ENV) -> str:
    """The webhook URL of an action server running elsewhere."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingError(f"{_named(source)}must be the action server's webhook, "
                           f"e.g. http://actions.internal:5055/webhook")
    return parts.geturl() if parts.path not in ("", "/") else parts.geturl().rstrip("/") + "/webhook"


def _expanded(value: str, environ) -> str:
    """${VAR} in an endpoints file, filled in from `environ` (to tell what it is, never to write)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: environ.get(m.group(1), m.group(0)), value)


def _masked(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(_postgresql(url)).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://..."


def _postgresql(url: str) -> str:
    scheme = url.split("://", 1)[0]
    return "postgresql" + url[len(scheme):] if scheme.split("+")[0] == "postgres" else url


def from_section(section: dict | None, what: str, environ=None) -> Store:
    """The store an endpoints file configures (what: "tracker_store" or "lock_store")."""
    section = dict(section or {})
    environ = environ if environ is not None else {}
    kind = str(section.get("type") or "").lower()
    if what == "lock_store":
        if kind in ("", "in_memory"):
            return Store("memory", "this server's memory", None)
        if kind == "redis":  # Rasa's own; ours takes the same settings and issues tickets atomically
            section["type"] = REDIS_LOCK_STORE
        host = str(section.get("url") or "localhost")
        return Store("redis" if section["type"] == REDIS_LOCK_STORE else kind,
                     f"{section['type']} at {host if '://' not in host else 'the URL in the file'}",
                     section)
    if kind == "":
        return Store("memory", "this server's memory (lost when it stops)", None)
    raw = str(section.get("url") or "")
    url = _expanded(raw, environ)
    if "://" in url:
        dialect = _postgresql(url).split("://", 1)[0].split("+")[0]
        where = _masked(url)
    elif "${" in url:  # not set here: it could be any database, so count it as a shared one
        dialect, where = "unknown", f"the database of {raw}"
    else:
        dialect = section.get("dialect") or "sqlite"
        where = (f"{section.get('username') + '@' if section.get('username') else ''}{url or 'localhost'}"
                 f"{':' + str(section['port']) if section.get('port') else ''}/{section.get('db') or ''}")
    if dialect == "sqlite":
        return Store("sqlite", f"SQLite {section.get('db') or url.split(':///', 1)[-1] or 'rasa.db'}", section)
    return Store(dialect, f"{'PostgreSQL' if dialect == 'postgresql' else dialect} {where}", section)


def settings(environ, tracker: str | None = None, lock: str | None = None,
             actions: str | None = None) -> tuple[Store | None, Store | None, str | None]:
    """The three settings from flags (given here) or the environment; None where neither sets one."""
    tracker_url, tracker_source = (tracker, "--tracker-store") if tracker else (environ.get(TRACKER_ENV), TRACKER_ENV)
    lock_url, lock_source = (lock, "--lock-store") if lock else (environ.get(LOCK_ENV), LOCK_ENV)
    action_url, action_source = (actions, "--action-server") if actions else (environ.get(ACTION_ENV), ACTION_ENV)
    return (tracker_store(tracker_url, tracker_source) if tracker_url else None,
            lock_store(lock_url, lock_source) if lock_url else None,
            action_server(action_url, action_source) if action_url else None)


def on_command_line(*flags: str | None) -> list[str]:
    """Notes for passwords given as flags: any user of the machine can read a command line (ps)."""
    notes = []
    for name, value in zip(("--tracker-store", "--lock-store"), flags):
        if value and "://" in value and urlsplit(value).password is not None:
            env = TRACKER_ENV if name == "--tracker-store" else LOCK_ENV
            notes.append(f"the password in {name} can be read by every user of this machine (ps); "
                         f"give the URL in {env} instead")
    return notes


def one_server_warning(tracker: Store) -> str:
    return (f"conversations are kept in {tracker.shown}, which several servers can share, but each "
            f"conversation's lock is kept in this server's memory. Run this as the ONLY server on that "
            f"store: two servers with in-memory locks can answer one person at the same time and "
            f"interleave or repeat their conversation. For several servers give every one the same "
            f"Redis lock store: {LOCK_ENV}=redis://HOST:6379/1 (or --lock-store). A second server "
            f"started on this store without one is refused.")


@dataclass
class Plan:
    """What a Rasa server is started with: its endpoints, its extra environment, what to tell the operator."""
    endpoints: dict
    env: dict
    tracker: Store
    lock: Store
    notes: list[str]


def plan(base: dict, tracker: Store | None = None, lock: Store | None = None,
         action_url: str | None = None, environ=None) -> Plan:
    """The endpoints of one Rasa server: the base file's, with the settings given in place of its own.

    Our tracker store also learns whether this server must be the only one on it (`single_server`:
    its lock store is in-memory) or one of several (a shared lock store), and refuses to start on a
    store already in use the other way (bot.plumbing.tracker_store)."""
    endpoints = {k: v for k, v in (base or {}).items()}
    tracker = tracker or from_section(endpoints.get("tracker_store"), "tracker_store", environ)
    lock = lock or from_section(endpoints.get("lock_store"), "lock_store", environ)
    env = {**tracker.env, **lock.env}
    if tracker.section is not None:
        section = dict(tracker.section)
        if section.get("type") == PRIVATE_STORE:
            section["single_server"] = lock.kind == "memory"
        endpoints["tracker_store"] = section
    else:
        endpoints.pop("tracker_store", None)
    if lock.section is not None:
        endpoints["lock_store"] = dict(lock.section)
    else:
        endpoints.pop("lock_store", None)
    if action_url:
        endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": action_url}
    notes = [f"conversations: {tracker.shown}; locks: {lock.shown}"]
    if lock.kind == "memory" and tracker.shared:
        notes.append("WARNING: " + one_server_warning(tracker))
    elif tracker.kind == "memory":
        notes.append("WARNING: conversations are kept in memory only: they are lost when the server stops")
    return Plan(endpoints, env, tracker, lock, notes)


def read_endpoints(path: Path) -> dict:
    """An endpoints file as written: `${VAR}` stays as it is, for Rasa to fill in from its environment
    (PyYAML does not expand it; Rasa's own reader, ruamel, does), so no secret from the environment
    is ever written into the file Rasa is given."""
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def write_endpoints(endpoints: dict, path: Path) -> Path:
    import yaml

    path.write_text("# Written by zhucan serve for one Rasa server; no secret is in it.\n"
                    + yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
