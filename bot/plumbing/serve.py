"""`zhucan serve`: the conversation over HTTP (CONTRACT.md section 4), for integrations and tests.

    zhucan serve [--port 5005] [--host 127.0.0.1] [--endpoints bot/endpoints.yml] [--credentials ...]
                 [--tracker-store URL] [--lock-store URL] [--action-server URL]
    zhucan serve --actions-only [--port 5055] [--host 127.0.0.1]

It builds the model if its inputs changed (bot.plumbing.build.ensure_model), starts the action server
(actions/, on the port of action_endpoint in the endpoints file, 127.0.0.1:5055 by default; not with
--action-server, which names one running elsewhere), then Rasa's server with the REST channel on
127.0.0.1:5005:

    POST /webhooks/rest/webhook {"sender": "...", "message": "...", "message_id": "..."}
                                                 -> [{"text" | "buttons" | "custom"}]
    POST /webhooks/zhucan/forget {"sender": "..."}                     -> {"forgotten": true}
    GET  /                                                             -> 200 once it takes messages
    GET/POST /webhooks/wechat/webhook   WeChat's messages, when WECHAT_TOKEN is set (CONTRACT.md 6)
    GET  /chat/                         the web chat page; /chat/embed.js puts it on another site's page
                                        (bot/channels/web; ZHUCAN_WEB_EMBED_ORIGINS: the sites allowed)

Both listen on 127.0.0.1 unless --host says otherwise: the channels trust whoever can reach them, so
another address belongs on a private network that only the load balancer and the front ends reach.
The action server is stopped when the Rasa server stops. --actions-only runs the action server alone.

Where conversations and locks are kept (bot/plumbing/stores.py; docs/deploy.md for several servers):

- by default conversations in SQLite, var/zhucan.db, through bot.plumbing.tracker_store.PrivateSQLTrackerStore,
  which never stores the words people typed nor ID-card or phone numbers, and each conversation's lock
  in this server's memory. A conversation survives a restart. One server only.
- ZHUCAN_TRACKER_STORE_URL (or --tracker-store): postgresql://USER@HOST:5432/DATABASE, the same store
  for every server (the password from the URL, PGPASSWORD or ~/.pgpass).
- ZHUCAN_LOCK_STORE_URL (or --lock-store): redis://[:PASSWORD@]HOST:6379/1, the same Redis for every
  server (bot.plumbing.lock_store). Without it the locks stay in memory, and the server says at start-up that
  it must be the only one on its store, and refuses to start beside another server on that store.
- ZHUCAN_ACTION_SERVER_URL (or --action-server): http://HOST:5055/webhook of an action server.
- TICKET_LOCK_LIFETIME (Rasa's; seconds, default 60): how long a server that died while answering
  keeps that conversation locked.

The other endpoints of the file (--endpoints) are kept; passwords are never printed, and a URL given
on the command line is handed to Rasa through its environment, not its command line. Nothing in this
module logs what people say.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
CREDENTIALS = ROOT / "bot" / "credentials.yml"
HOST = "127.0.0.1"
DEFAULT_PORT = 5005
DEFAULT_ACTION_PORT = 5055
ACTION_KEEP_ALIVE = 75  # seconds; longer than the 15 s for which Rasa's client reuses a connection


def quiet_env(extra: dict | None = None) -> dict:
    """The environment for Rasa and the action server: no telemetry, no TensorFlow chatter."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def action_port(endpoints: Path) -> int:
    """The port of action_endpoint in an endpoints file."""
    import yaml

    data = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    url = (data.get("action_endpoint") or {}).get("url") or ""
    return urlparse(url).port or DEFAULT_ACTION_PORT


def start_action_server(port: int, log=None, host: str = HOST) -> subprocess.Popen:
    """The action server (actions/) on host:port (127.0.0.1 by default), as a child process; see
    wait_until_up.

    Its log (start-up, warnings, errors; never what people say) goes to `log`, a file object, or
    to our own standard error.

    Idle connections are kept open for ACTION_KEEP_ALIVE seconds instead of Sanic's 5: Rasa's client
    (aiohttp) reuses an idle connection for up to 15 s, and when the server closes it first, a busy
    Rasa server writes the next action call into a closing connection: the call fails, the action's
    events are lost, and the person gets no answer (seen at 200 concurrent conversations,
    tests/scale). The client must be the side that lets an idle connection go."""
    return subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=quiet_env({"SANIC_HOST": host, "SANIC_KEEP_ALIVE_TIMEOUT": str(ACTION_KEEP_ALIVE)}),
        stdin=subprocess.DEVNULL,
        stdout=log or subprocess.DEVNULL, stderr=log)


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until GET url answers 200; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server of {url} exited with code {proc.returncode} before it was up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it does not go."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_actions(port: int, log=None, host: str = HOST) -> subprocess.Popen:
    """Start the action server and wait until it answers."""
    proc = start_action_server(port, log, host)
    try:
        wait_until_up(f"http://{HOST if host in ('0.0.0.0', '::') else host}:{port}/health", proc)
    except BaseException:
        stop(proc)
        raise
    return proc


SETTINGS = """settings from the environment (a flag wins):
  ZHUCAN_TRACKER_STORE_URL  --tracker-store  where conversations are kept (default: the endpoints
                            file's, SQLite var/zhucan.db): postgresql://USER@HOST:5432/DATABASE for
                            several servers (password from the URL, PGPASSWORD or ~/.pgpass), or
                            sqlite:///path.db
  ZHUCAN_LOCK_STORE_URL     --lock-store     where each conversation's lock is held (default: this
                            server's memory, for ONE server only): redis://[:PASSWORD@]HOST:6379/1,
                            rediss:// for TLS; every server on one tracker store needs the same one
  ZHUCAN_ACTION_SERVER_URL  --action-server  use the action server at this webhook URL instead of
                            starting one (e.g. http://actions.internal:5055/webhook)
  ZHUCAN_HOST               --host           the address to listen on (default 127.0.0.1)
  ZHUCAN_WEB_EMBED_ORIGINS                   sites whose pages may show the web chat in a frame
                                             (/chat/embed.js): https://host[:port], space separated
  TICKET_LOCK_LIFETIME      (Rasa's) seconds a conversation stays locked by a server that died while
                            answering it; default 60

Passwords are never printed; a URL with a password belongs in the environment, not on the command
line (any user of the machine can read that). Several servers: docs/deploy.md."""


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="zhucan serve", description=__doc__.split("\n\n")[0],
                                     epilog=SETTINGS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=None,
                        help="Rasa server port (default 5005; with --actions-only the action server's, 5055)")
    parser.add_argument("--host", default=os.environ.get("ZHUCAN_HOST") or HOST,
                        help="address to listen on (default 127.0.0.1, or ZHUCAN_HOST); any other belongs on "
                             "a private network: the channels trust whoever reaches them")
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS)
    parser.add_argument("--credentials", type=Path, default=CREDENTIALS)
    parser.add_argument("--tracker-store", metavar="URL", help="where conversations are kept (see below)")
    parser.add_argument("--lock-store", metavar="URL", help="Redis for the conversations' locks (see below)")
    parser.add_argument("--action-server", metavar="URL", help="an action server's webhook (see below)")
    parser.add_argument("--actions-only", action="store_true",
                        help="run only the action server, for Rasa servers elsewhere to call")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(f"zhucan serve: {text}", file=sys.stderr, flush=True)


def rasa_plan(args, environ=os.environ):
    """The endpoints and environment of the Rasa server these arguments ask for (bot.plumbing.stores.plan)."""
    from bot.plumbing import stores

    tracker, lock, action_url = stores.settings(environ, args.tracker_store, args.lock_store,
                                                args.action_server)
    plan = stores.plan(stores.read_endpoints(args.endpoints), tracker, lock, action_url, environ)
    plan.notes[:0] = stores.on_command_line(args.tracker_store, args.lock_store)
    return plan, action_url


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from bot.channels.common import SettingsError
    from bot.plumbing.stores import SettingError, write_endpoints

    args = parse_args(argv)

    def terminated(*_):
        raise SystemExit(128 + signal.SIGTERM)

    # A SIGTERM, like Ctrl-C, ends up in the `finally` below: the children never outlive us.
    signal.signal(signal.SIGTERM, terminated)
    if args.actions_only:
        port = args.port or DEFAULT_ACTION_PORT
        actions = None
        try:
            actions = start_actions(port, host=args.host)
            say(f"action server on http://{args.host}:{port}/webhook")
            return actions.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            stop(actions)

    try:
        plan, action_url = rasa_plan(args)
        from bot.channels.web_settings import embed_origins

        embed_origins()
    except (SettingError, SettingsError) as err:
        say(str(err))
        return 2
    for note in plan.notes:
        say(note)
    from bot.plumbing.build import ensure_model

    model = ensure_model()
    port = args.port or DEFAULT_PORT
    actions = rasa = None
    with tempfile.TemporaryDirectory(prefix="zhucan-serve-") as tmp:
        endpoints = write_endpoints(plan.endpoints, Path(tmp) / "endpoints.yml")
        try:
            if not action_url:
                actions = start_actions(action_port(endpoints))
            rasa = subprocess.Popen(
                [sys.executable, "-m", "bot.plumbing.rasa_runtime", "run", "--credentials", str(args.credentials),
                 "--endpoints", str(endpoints), "-m", str(model), "-i", args.host, "-p", str(port)],
                cwd=ROOT, env=quiet_env(plan.env))
            say(f"http://{args.host}:{port}/webhooks/rest/webhook")
            say(f"web chat at http://{args.host}:{port}/chat/")
            if os.environ.get("WECHAT_TOKEN"):
                say(f"WeChat at http://{args.host}:{port}/webhooks/wechat/webhook")
            return rasa.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            stop(rasa)
            stop(actions)
