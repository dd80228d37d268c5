"""PostgreSQL and Redis for the scale tests: Debian's binaries, started on free ports of 127.0.0.1 with
their data in a temporary directory, stopped and removed afterwards.

`make test-scale` installs the packages (postgresql, redis-server) when they are missing. PostgreSQL
refuses to run as root, so as root its cluster is created and run as the `postgres` user that the
Debian package creates. Both require passwords, so that the tests can check that none is printed.
fsync is off: these databases live for one test run, and the disk is shared with other work.
"""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bot.plumbing.serve import HOST, free_port

APP_USER = "zhucan"
FIGURES: dict[str, list[str]] = {}


def figure(section: str, line: str) -> None:
    """A line for the summary printed at the end of the run (tests/scale/conftest.py)."""
    FIGURES.setdefault(section, []).append(line)

DATABASE = "zhucan"


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL is not installed: make test-scale installs it "
                           "(apt-get install postgresql)")
    return found[-1].parent


def _as_postgres() -> dict:
    """subprocess arguments that run a command as the postgres user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}


class Postgres:
    """A PostgreSQL cluster of its own: a superuser `postgres` (local socket, trust) and a database
    `zhucan` owned by the login `zhucan` with a password (TCP, scram-sha-256), as a deployment has."""

    def __init__(self) -> None:
        self.password = "pg-" + secrets.token_hex(12)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="zhucan-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.bin = _postgres_bin()

    @property
    def url(self) -> str:
        return f"postgresql://{APP_USER}:{self.password}@{HOST}:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       **_as_postgres())

    def start(self) -> "Postgres":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off "
                        f"-c max_connections=200", "start")
        self.query(f"CREATE ROLE {APP_USER} LOGIN PASSWORD %s", self.password, database="postgres")
        self.query(f"CREATE DATABASE {DATABASE} OWNER {APP_USER}", database="postgres")
        self.query("CREATE EXTENSION pageinspect")
        return self

    @contextmanager
    def superuser(self, database: str = DATABASE):
        """A psycopg2 connection as the superuser through the cluster's socket, each statement
        committed at once (for set-up and inspection)."""
        import psycopg2

        db = psycopg2.connect(host=str(self.dir), port=self.port, user="postgres", dbname=database)
        db.autocommit = True
        try:
            yield db
        finally:
            db.close()

    def query(self, sql: str, *params, database: str = DATABASE) -> list[tuple]:
        with self.superuser(database) as db:
            cur = db.cursor()
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """redis-server on a free port, no persistence, with a password."""

    def __init__(self) -> None:
        self.password = "rd-" + secrets.token_hex(12)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="zhucan-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@{HOST}:{self.port}/1"

    def start(self) -> "Redis":
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed: make test-scale installs it "
                               "(apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--requirepass", self.password, "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return self
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (see {self.dir / 'redis.log'})")
                time.sleep(0.1)

    def client(self):
        import redis

        return redis.StrictRedis.from_url(self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
