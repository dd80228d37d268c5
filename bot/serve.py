"""`zhucan serve`: the conversation over HTTP (CONTRACT.md section 4), for integrations and tests.

    zhucan serve [--port 5005] [--endpoints bot/endpoints.yml] [--credentials bot/credentials.yml]

It builds the model if its inputs changed (bot.build.ensure_model), starts the action server
(actions/, on the port of action_endpoint in the endpoints file, 127.0.0.1:5055 by default), then
Rasa's server with the REST channel on 127.0.0.1:5005:

    POST /webhooks/rest/webhook {"sender": "...", "message": "..."}  -> [{"text" | "buttons" | "custom"}]
    POST /webhooks/zhucan/forget {"sender": "..."}                     -> {"forgotten": true}
    GET  /                                                             -> 200 once it takes messages
    GET/POST /webhooks/wechat/webhook   WeChat's messages, when WECHAT_TOKEN is set (CONTRACT.md 6)

Both listen on 127.0.0.1 only. The action server is stopped when the Rasa server stops.

Where conversations are kept (bot/endpoints.yml, Rasa's own way):

- by default in SQLite, var/zhucan.db, through bot.tracker_store.PrivateSQLTrackerStore, which never
  stores the words people typed nor ID-card or phone numbers. A conversation survives a restart.
- another SQL database: keep the type and give the database, e.g. for PostgreSQL

      tracker_store:
        type: bot.tracker_store.PrivateSQLTrackerStore
        dialect: postgresql
        url: db.example.internal
        port: 5432
        db: zhucan
        username: zhucan
        password: ${ZHUCAN_DB_PASSWORD}

- several servers behind one address: they share that SQL database, and a Redis lock store makes sure
  that two messages of one conversation are never answered at the same time by two servers:

      lock_store:
        type: redis
        url: redis.example.internal
        port: 6379
        db: 1

Pass the edited file with --endpoints. Nothing in this module logs what people say.
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

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
CREDENTIALS = ROOT / "bot" / "credentials.yml"
HOST = "127.0.0.1"
DEFAULT_PORT = 5005
DEFAULT_ACTION_PORT = 5055


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


def start_action_server(port: int, log=None) -> subprocess.Popen:
    """The action server (actions/) on 127.0.0.1:port, as a child process; see wait_until_up.

    Its log (start-up, warnings, errors; never what people say) goes to `log`, a file object, or
    to our own standard error."""
    return subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=quiet_env({"SANIC_HOST": HOST}), stdin=subprocess.DEVNULL,
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


def start_actions(port: int, log=None) -> subprocess.Popen:
    """Start the action server and wait until it answers."""
    proc = start_action_server(port, log)
    try:
        wait_until_up(f"http://{HOST}:{port}/health", proc)
    except BaseException:
        stop(proc)
        raise
    return proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhucan serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="Rasa server port (default 5005)")
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS)
    parser.add_argument("--credentials", type=Path, default=CREDENTIALS)
    args = parser.parse_args(argv)

    from bot.build import ensure_model

    def terminated(*_):
        raise SystemExit(128 + signal.SIGTERM)

    # A SIGTERM, like Ctrl-C, ends up in the `finally` below: the children never outlive us.
    signal.signal(signal.SIGTERM, terminated)
    model = ensure_model()
    actions = rasa = None
    try:
        actions = start_actions(action_port(args.endpoints))
        rasa = subprocess.Popen(
            [sys.executable, "-m", "bot.rasa_runtime", "run", "--credentials", str(args.credentials),
             "--endpoints", str(args.endpoints), "-m", str(model), "-i", HOST, "-p", str(args.port)],
            cwd=ROOT, env=quiet_env())
        print(f"zhucan serve: http://{HOST}:{args.port}/webhooks/rest/webhook", file=sys.stderr)
        if os.environ.get("WECHAT_TOKEN"):
            print(f"zhucan serve: WeChat at http://{HOST}:{args.port}/webhooks/wechat/webhook",
                  file=sys.stderr)
        return rasa.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(rasa)
        stop(actions)
