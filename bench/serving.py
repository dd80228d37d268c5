"""Our bot against Rasa's own starter bot, served on this machine in one run (figures, not a test).

    .venv/bin/python bench/serving.py [--seconds 60] [--users 10]

Builds the starter bot with `rasa init --no-prompt` in a temporary folder (trained once, cached in
bench/out/starter), serves it and ours (`zhucan serve`) on loopback, one after the other, and drives
each with the same number of concurrent users for the same time through the REST channel. Each user
replays a whole conversation again and again under its own sender id. Prints messages per second and
p50/p95 latency of each, and the ratios (ours / starter; above 1 is better for throughput, below 1 is
better for latency).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp

from bot.plumbing.serve import wait_until_up

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RASA = str(ROOT / ".venv" / "bin" / "rasa")
ZHUCAN = str(ROOT / ".venv" / "bin" / "zhucan")

OURS = ["你好", "我爸肢体一级，在太原，能领护理补贴吗", "是", "为什么", "我说了什么", "不对，是三级", "重新开始"]
# Both scripts end in a restart, so that neither bot's conversations grow without end (the starter's
# TED policy reads the whole history: a conversation that never restarts gets slower every turn).
STARTER = ["hello", "I am feeling sad", "yes", "great", "are you a bot?", "goodbye", "/restart"]


def starter_project() -> Path:
    project = OUT / "starter"
    if not list((project / "models").glob("*.tar.gz")):
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        print("training Rasa's starter bot (rasa init --no-prompt), once ...", flush=True)
        subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(project)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=project)
    return project


async def drive(base: str, script: list[str], users: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def user(session: aiohttp.ClientSession) -> None:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for text in itertools.cycle(script):
            if time.monotonic() >= stop:
                return
            start = time.perf_counter()
            async with session.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                await r.read()
                r.raise_for_status()
            latencies.append(time.perf_counter() - start)

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        # warm up: one full conversation, not measured
        for text in script:
            async with session.post(f"{base}/webhooks/rest/webhook",
                                    json={"sender": "bench-warmup", "message": text}) as r:
                await r.read()
        await asyncio.gather(*(user(session) for _ in range(users)))
    return latencies


def figures(name: str, latencies: list[float], seconds: float) -> dict:
    q = statistics.quantiles(latencies, n=100)
    result = {"rate": len(latencies) / seconds, "p50": q[49] * 1000, "p95": q[94] * 1000}
    print(f"{name:8s} {result['rate']:7.1f} messages/s   p50 {result['p50']:6.0f} ms   p95 {result['p95']:6.0f} ms"
          f"   ({len(latencies)} messages)")
    return result


def serve(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(cmd, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}

    def measure(name: str, cmd: list[str], cwd: Path, port: int, script: list[str]) -> None:
        proc = serve(cmd, cwd, OUT / f"{name}.log")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/", proc, timeout=600)  # ours may train its model first
            results[name] = figures(name, asyncio.run(drive(base, script, args.users, args.seconds)),
                                    args.seconds)
        finally:
            stop(proc)

    measure("starter", [RASA, "run", "-i", "127.0.0.1", "-p", "5006", "--credentials", "credentials.yml"],
            starter_project(), 5006, STARTER)
    # our own tracker store for the run, so that the benchmark's conversations stay out of var/
    db = OUT / "bench-tracker.db"
    db.unlink(missing_ok=True)
    endpoints = OUT / "endpoints.yml"
    endpoints.write_text((ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8")
                         .replace("db: var/zhucan.db", f"db: {db}"), encoding="utf-8")
    measure("zhucan", [ZHUCAN, "serve", "--port", "5005", "--endpoints", str(endpoints)], ROOT, 5005, OURS)

    ours, theirs = results["zhucan"], results["starter"]
    print(f"machine: {os.cpu_count()} CPUs; each bot {args.seconds:.0f} s, its action server (if any) beside it")
    print(f"ratio (zhucan / starter): throughput {ours['rate'] / theirs['rate']:.2f}x, "
          f"p95 latency {ours['p95'] / theirs['p95']:.2f}x, p50 latency {ours['p50'] / theirs['p50']:.2f}x "
          f"at {args.users} concurrent users")


if __name__ == "__main__":
    sys.exit(main())
