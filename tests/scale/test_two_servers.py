"""Two Rasa servers, one action server, one PostgreSQL, one Redis: a city's traffic on more than one server.

    make test-scale        (ZHUCAN_SCALE_USERS=40 for a quicker run; default 200)

Every process is started the way docs/deploy.md says: `zhucan serve --actions-only` once, and
`zhucan serve --action-server URL` twice with ZHUCAN_TRACKER_STORE_URL (PostgreSQL) and
ZHUCAN_LOCK_STORE_URL (Redis) in the environment, each its own process group on its own port.

200 people talk at once. Each asks 能领护理补贴吗 and answers every question with facts of their own
(place, category, grade, care, household differ from person to person), and their messages alternate
between the two servers: the first message to one, the answer to its question to the other, and so
on. Every message carries a message_id, as a front end sends a platform's message id. Once about a
third of the way through, one server is killed (SIGKILL: no goodbye, its locks still in Redis); a
message that was on its way to it, or being answered by it, is sent again to the other with the
same id, and every conversation goes on there. Then:

- no fact lost: no question is asked twice, every conversation ends with a verdict that is the rule
  engine's own for that person's facts, and 我说了什么 lists the person's place and grade;
- no cross-talk: every reply is addressed to its own person, and no review names another person's place;
- no event applied twice: in PostgreSQL each message id is stored once, each user message is followed
  by exactly one action_listen, and nothing the people typed (nor a phone number) is stored;
- a server with in-memory locks started beside them is refused; the killed server, started again,
  takes its share again;
- /forget (through both servers) leaves no row of those conversations, and after the VACUUM it
  starts no row version in the table's or the index's pages; no lock is left in Redis;
- no password, typed words or phone number appears in any server's log.

The figures (messages, time, throughput, latency, resent messages, failures) are printed at the end.
"""
from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.plumbing.serve import HOST, free_port, wait_until_up
from scale.services import figure

ROOT = Path(__file__).resolve().parents[2]
USERS = int(os.environ.get("ZHUCAN_SCALE_USERS", "200"))
LOCK_LIFETIME = 10  # seconds a killed server's conversations wait for its lock to expire
ASK = "能领护理补贴吗"
PLACES = ["太原", "大同", "崇明", "奉化", "呼兰", "嘉兴", "吕梁", "长治", "晋中", "运城"]
CATEGORIES = ["肢体", "智力", "视力", "精神", "听力", "言语", "多重"]
GRADES = ["一级", "二级", "三级", "四级"]


# --- the processes -------------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    killed: bool = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def serve(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    """`zhucan serve ...` in a process group of its own (so that it can be killed whole)."""
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def end(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def deployment(postgres, redis_server, tmp_path_factory):
    from bot.plumbing.build import ensure_model

    ensure_model()  # once, before two servers would both look at it
    logs = tmp_path_factory.mktemp("logs")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZHUCAN_")}
    base.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    env = {**base, "ZHUCAN_TRACKER_STORE_URL": postgres.url, "ZHUCAN_LOCK_STORE_URL": redis_server.url,
           "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME)}
    action_port = free_port()
    actions = serve(["--actions-only", "--port", str(action_port)], logs / "actions.log", base)
    servers = [Server(name, free_port(), logs / f"rasa-{name}.log") for name in ("A", "B")]
    started = time.monotonic()
    try:
        wait_until_up(f"http://{HOST}:{action_port}/health", actions, timeout=120)
        action_url = f"http://{HOST}:{action_port}/webhook"
        for server in servers:
            server.proc = serve(["--port", str(server.port), "--action-server", action_url], server.log, env)
        for server in servers:
            wait_until_up(server.url + "/", server.proc, timeout=600)
        figure("two servers", f"the action server and two Rasa servers up in {time.monotonic() - started:.0f} s")
        yield SimpleDeployment(servers, env, action_url, logs, postgres, redis_server)
    finally:
        for server in servers:
            end(server.proc)
        end(actions)


@dataclass
class SimpleDeployment:
    servers: list[Server]
    env: dict
    action_url: str
    logs: Path
    postgres: object
    redis: object

    def restart(self, server: Server) -> None:
        server.proc = serve(["--port", str(server.port), "--action-server", self.action_url], server.log, self.env)
        wait_until_up(server.url + "/", server.proc, timeout=600)
        server.killed = False


# --- the people ------------------------------------------------------------------------------------------

@dataclass
class Person:
    index: int
    answers: dict
    sender: str = ""
    sent: int = 0
    ids: list = field(default_factory=list)
    asked: list = field(default_factory=list)
    results: list | None = None
    review: str = ""
    phone: str | None = None
    last: tuple = ()  # (message id, text, server name, replies) of the last message

    @property
    def profile(self) -> dict:
        """The person's facts as the rule engine takes them."""
        from rules.facts import parse_value

        return {fact: parse_value(fact, text) for fact, text in self.answers.items()}


def people(count: int) -> list[Person]:
    rng = random.Random(11)
    crowd = []
    for i in range(count):
        answers = {"region": PLACES[i % len(PLACES)], "disability_category": rng.choice(CATEGORIES),
                   "disability_grade": rng.choice(GRADES), "needs_long_term_care": rng.choice(["是", "不是"]),
                   "has_certificate": "有", "household": rng.choice(["低保家庭", "都不是"]), "age": f"{rng.randint(18, 80)}岁",
                   "autism": "没有", "in_welfare_institution": "不是", "orphan": "不是", "employed": "没有"}
        person = Person(i, answers, sender=f"scale-{i:03d}-{rng.getrandbits(32):08x}")
        if i % 10 == 3:
            person.phone = f"138{rng.randint(10_000_000, 99_999_999)}"
        crowd.append(person)
    return crowd


@dataclass
class Traffic:
    servers: list[Server]
    answered: int = 0
    resent: int = 0
    failures: list = field(default_factory=list)
    latencies: list = field(default_factory=list)
    kill_after: int = 0
    killed_at: float | None = None
    resent_waits: list = field(default_factory=list)

    async def say(self, session: aiohttp.ClientSession, person: Person, text: str) -> list[dict]:
        """One message, to the server whose turn it is; again to the other if that one died under it."""
        k, person.sent = person.sent, person.sent + 1
        message_id = f"{person.sender}.{k}"
        person.ids.append(message_id)
        first_try, resent = time.monotonic(), False
        turn, other = self.servers[(person.index + k) % 2], self.servers[(person.index + k + 1) % 2]
        for server in (turn, other):
            if server.killed:
                continue
            start = time.perf_counter()
            try:
                async with session.post(server.url + "/webhooks/rest/webhook", json={
                        "sender": person.sender, "message": text, "message_id": message_id}) as answer:
                    replies = await answer.json(content_type=None)
                    if answer.status != 200:
                        raise AssertionError(f"server {server.name} answered {answer.status}: {replies}")
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
                if server.killed:  # it died with our message: the same message, same id, to the other
                    self.resent += 1
                    resent = True
                    continue
                raise
            self.latencies.append(time.perf_counter() - start)
            self.answered += 1
            if resent:
                self.resent_waits.append(time.monotonic() - first_try)
            if any(r.get("recipient_id") != person.sender for r in replies):
                raise AssertionError(f"a reply for someone else reached {person.sender}: {replies}")
            person.last = (message_id, text, server.name, replies)
            return replies
        raise AssertionError(f"no server left for {person.sender}")

    async def conversation(self, session: aiohttp.ClientSession, person: Person) -> None:
        try:
            if person.phone:
                await self.say(session, person, f"你好，我的电话是{person.phone}")
            replies = await self.say(session, person, ASK)
            while results_of(replies) is None:
                asks = [r["custom"]["ask"] for r in replies if "ask" in (r.get("custom") or {})]
                assert asks, f"neither a question nor a verdict: {texts_of(replies)}"
                fact = asks[-1]
                assert fact not in person.asked, f"{fact} asked again (a fact was lost) after {person.asked}"
                assert fact in person.answers, f"unexpected question about {fact}"
                person.asked.append(fact)
                replies = await self.say(session, person, person.answers[fact])
            person.results = results_of(replies)
            person.review = "\n".join(texts_of(await self.say(session, person, "我说了什么")))
        except Exception as exc:  # noqa: BLE001 (counted and shown, the test fails on any)
            self.failures.append(f"{person.sender}: {type(exc).__name__}: {exc}"[:400])

    async def killer(self, victim: Server) -> None:
        while self.answered < self.kill_after:
            await asyncio.sleep(0.05)
        victim.killed = True
        self.killed_at = time.monotonic()
        end(victim.proc, signal.SIGKILL)


def results_of(replies: list[dict]) -> list | None:
    found = [r["custom"]["results"] for r in replies if "results" in (r.get("custom") or {})]
    return found[-1] if found else None


def texts_of(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if r.get("text")]


# --- the run -----------------------------------------------------------------------------------------------

def test_a_server_with_in_memory_locks_is_refused_beside_them(deployment, tmp_path):
    log = tmp_path / "alone.log"
    env = {k: v for k, v in deployment.env.items() if k != "ZHUCAN_LOCK_STORE_URL"}
    proc = serve(["--port", str(free_port()), "--action-server", deployment.action_url], log, env)
    try:
        proc.wait(300)
    finally:
        end(proc)
    out = log.read_text(encoding="utf-8", errors="replace")
    assert proc.returncode != 0
    assert "WARNING: conversations are kept in PostgreSQL postgresql://zhucan:***@" in out
    assert "so it must be the only one" in out
    assert deployment.postgres.password not in out


def test_two_hundred_conversations_on_two_servers_one_killed(deployment):
    from knowledge.gazetteer import gazetteer
    from rules.engine import evaluate

    crowd = people(USERS)
    victim, survivor = deployment.servers
    traffic = Traffic(deployment.servers, kill_after=2 * USERS)

    async def run() -> float:
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout,
                                         connector=aiohttp.TCPConnector(limit=0)) as session:
            start = time.monotonic()
            killer = asyncio.create_task(traffic.killer(victim))
            await asyncio.gather(*(traffic.conversation(session, p) for p in crowd))
            seconds = time.monotonic() - start
            killer.cancel()
            return seconds

    seconds = asyncio.run(run())
    q = statistics.quantiles(traffic.latencies, n=100) if len(traffic.latencies) > 1 else [0] * 99
    figure("two servers", f"{USERS} conversations, {traffic.answered} messages answered in {seconds:.1f} s: "
                          f"{traffic.answered / seconds:.1f} messages/s, p50 {q[49] * 1000:.0f} ms, "
                          f"p95 {q[94] * 1000:.0f} ms; {os.cpu_count()} CPU cores shared by every process")
    figure("two servers", f"server {victim.name} killed (SIGKILL) after {traffic.kill_after} messages; "
                          f"{traffic.resent} messages on their way to it sent again to {survivor.name}, "
                          f"answered there after at most {max(traffic.resent_waits, default=0):.1f} s "
                          f"(ticket lifetime {LOCK_LIFETIME} s); failures: {len(traffic.failures)}")
    assert traffic.killed_at is not None, "the server was never killed"
    assert not traffic.failures, "\n".join(traffic.failures[:10])

    # no fact lost, no cross-talk
    names = {place: gazetteer().get(Person(0, {"region": place}).profile["region"]).full_name for place in PLACES}
    for person in crowd:
        expected = evaluate(person.profile, ["care_subsidy"]).results[0].to_json()
        got = person.results[0]
        assert (got["program"], got["verdict"]) == ("care_subsidy", expected["verdict"]), (person.sender, person.answers)
        # figures the conversation gave (an amount only once the place is known) are the person's own
        assert {k: expected["details"].get(k) for k in got["details"]} == got["details"], person.sender
        own = names[person.answers["region"]]
        said = {"region": own, "disability_grade": f"残疾等级为{person.answers['disability_grade']}",
                "disability_category": f"残疾类别为{person.answers['disability_category']}残疾"}
        assert all(said[fact] in person.review for fact in person.asked if fact in said), (person.asked, person.review)
        assert not [n for n in names.values() if n != own and n in person.review], person.review
    asked = sum(len(p.asked) for p in crowd)
    with_place = sum("region" in p.asked for p in crowd)

    figure("two servers", f"{asked} questions answered, none asked twice; {with_place} people were asked "
                          f"their place and found it in 我说了什么; every verdict the rule engine's own")

    # no event applied twice: each message id once, each user message answered once
    pg = deployment.postgres
    stored: dict[str, list[tuple]] = {}
    for sender, type_name, action, message_id in pg.query(
            "SELECT sender_id, type_name, action_name, data::json->>'message_id' FROM events "
            "WHERE sender_id LIKE 'scale-%%' ORDER BY id"):
        stored.setdefault(sender, []).append((type_name, action, message_id))
    for person in crowd:
        events = stored[person.sender]
        ids = [m for t, _, m in events if t == "user"]
        assert ids == person.ids, (person.sender, ids, person.ids)
        turns = "".join("U" if t == "user" else "L" if a == "action_listen" else "." for t, a, _ in events)
        assert all(turn.count("L") == 1 and turn.endswith("L") for turn in turns.split("U")[1:]), turns
    assert pg.query("SELECT count(*) FROM events WHERE data LIKE %s OR data LIKE %s",
                    f"%{ASK}%", "%我说了什么%")[0][0] == 0
    for person in crowd:
        if person.phone:
            assert pg.query("SELECT count(*) FROM events WHERE data LIKE %s", f"%{person.phone}%")[0][0] == 0

    # the killed server comes back and takes its share; /forget through both servers
    started = time.monotonic()
    deployment.restart(victim)
    figure("two servers", f"server {victim.name} started again in {time.monotonic() - started:.0f} s")
    forgotten = [p for p in crowd if p.index % 4 == 0]
    kept = next(p for p in crowd if p.index % 4 and "region" in p.asked)

    async def forget() -> list:
        async with aiohttp.ClientSession() as session:
            answers = []
            for person in forgotten:
                server = deployment.servers[person.index // 4 % 2]
                async with session.post(server.url + "/webhooks/zhucan/forget",
                                        json={"sender": person.sender}) as answer:
                    answers.append(await answer.json())
            async with session.post(victim.url + "/webhooks/rest/webhook", json={
                    "sender": kept.sender, "message": "我说了什么", "message_id": f"{kept.sender}.again"}) as answer:
                answers.append(texts_of(await answer.json()))
            return answers

    # a front end that timed out sends its last message again, and the load balancer picks the other
    # server: the same answer, read from the store, and the message is not handled a second time
    again = [p for p in crowd if p.index % 20 == 5]

    async def send_again() -> list:
        async with aiohttp.ClientSession() as session:
            answers = []
            for person in again:
                message_id, text, name, _ = person.last
                other = next(s for s in deployment.servers if s.name != name)
                async with session.post(other.url + "/webhooks/rest/webhook", json={
                        "sender": person.sender, "message": text, "message_id": message_id}) as answer:
                    answers.append(await answer.json())
            return answers

    assert asyncio.run(send_again()) == [p.last[3] for p in again]
    for person in again:
        assert [m for (m,) in pg.query("SELECT data::json->>'message_id' FROM events WHERE sender_id = %s "
                                       "AND type_name = 'user' ORDER BY id", person.sender)] == person.ids
    answers = asyncio.run(forget())
    assert answers[:-1] == [{"forgotten": True}] * len(forgotten)
    assert names[kept.answers["region"]] in "".join(answers[-1])  # the restarted server reads the store
    senders = [p.sender for p in forgotten]
    assert pg.query("SELECT count(*) FROM events WHERE sender_id = ANY(%s)", senders)[0][0] == 0
    assert pg.query("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id LIKE 'scale-%%'")[0][0] == \
        USERS - len(forgotten)
    deadline, left = time.monotonic() + 120, None
    while time.monotonic() < deadline:  # the VACUUM each /forget starts, in the servers' background
        left = pg.query(
            "SELECT count(*) FROM generate_series(0, pg_relation_size('events') / 8192 - 1) AS b, "
            "heap_page_items(get_raw_page('events', b::int)) AS t WHERE t.t_data IS NOT NULL AND "
            "EXISTS (SELECT 1 FROM unnest(%s::text[]) AS s WHERE position(convert_to(s, 'UTF8') IN t.t_data) > 0)",
            senders)[0][0]
        if left == 0:
            break
        time.sleep(1)
    assert left == 0, f"{left} row versions of forgotten conversations still in the table's pages"
    assert deployment.redis.client().keys("lock:scale-*") == []  # the dead server's tickets expired

    # nothing secret in any log
    logs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in deployment.logs.iterdir())
    for secret in (deployment.postgres.password, deployment.redis.password, ASK, "我说了什么",
                   *[p.phone for p in crowd if p.phone]):
        assert secret not in logs, f"{secret[:6]}... in a server's log"
    figure("two servers", f"{len(again)} last messages sent again to the other server: the same answer, "
                          f"handled once; {len(forgotten)} conversations forgotten through both servers: "
                          f"no row, no row version left; no lock left in Redis; no password, typed words or "
                          f"phone number in any log")
