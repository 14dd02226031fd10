"""Live chat benchmark: many chat sockets held open with messages flowing, and the round trip
customer -> agent -> customer, on the in-memory layer (one daphne) and on Redis (two daphnes:
customers on A, agents on B).

Every customer has a chat of its own and sends a message now and then; agent sockets watch the
chats and answer each message at once. A round trip is from the customer's send to the agent's
answer arriving back, both stored in the database on the way. Messages lost (no answer within
the timeout) and doubled (one id delivered twice to a socket) are counted. The baseline, run on
the same server and connections in the same run, is an echo socket through the same middleware:
the ratio is the chat's median round trip over the echo's. A socket the server closes before the
end is counted by its close code and reason, and the servers' logged exceptions (what a 1011
close means) are summed up after the run.

Run under the shared lock: flock /tmp/sekvens-bench.lock .venv/bin/python bench/chat.py
"""

import argparse
import asyncio
import collections
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets.exceptions  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.common import HOST, ROOT, BenchError, environment, free_port, manage  # noqa: E402

SEED = ROOT / "fixtures" / "hjelp-og-support.md"
# A line of daphne's log that starts a record: its time, or an access-log line's client address.
NEXT_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d[ T]|\d+\.\d+\.\d+\.\d+:\d+ )")
AGENT_SOCKETS = 10
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Nothing in the benchmark may be refused by the chat's abuse limits: every client is 127.0.0.1.
UNLIMITED = {
    "CHAT_START_RATE_LIMIT": "1000000/m",
    "CHAT_ADDRESS_RATE_LIMIT": "1000000/m",
    "CHAT_MESSAGE_RATE_LIMIT": "1000000/m",
    "CHAT_SOCKET_FRAME_LIMIT": "1000000",
    "CONTACT_DAILY_CAP": "1000000",
    # The agents' sockets log in with a session made by the setup, without a second factor.
    "STAFF_REQUIRE_2FA": "0",
}
SETUP = """
import json
from django.contrib.auth.models import Group, User
from django.conf import settings
from django.test import Client
from tickets.chat import chat_start
from tickets.models import Chat, Ticket
agent = User.objects.create_user("bench-agent", first_name="Ola", is_staff=True)
agent.groups.add(Group.objects.get(name="Kundeservice"))
tokens = []
for number in range({count}):
    chat, token = chat_start(name=f"Kunde {{number}}", email=f"kunde{{number}}@example.no",
        message="Hei", client_ip="127.0.0.1", source_page=None)
    tokens.append([chat.pk, token])
Ticket.objects.update(assignee=agent, status="open")
Chat.objects.update(state="active")
client = Client()
client.force_login(agent)
name = settings.SESSION_COOKIE_NAME
print(json.dumps({{"tokens": tokens, "session": f"{{name}}={{client.cookies[name].value}}"}}))
"""


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def daphne_start(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (kept open for the process's life)
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "bench.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def port_wait(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"daphne on {port} exited with status {server.returncode}")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise BenchError(f"daphne on {port} did not start within 30 s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


async def echo_round(port: int, sockets: int, messages: int, spread: float) -> list[float]:
    """The baseline: as many sockets as customers, each sending `messages` and timing the echo."""
    origin = f"http://{HOST}:{port}"
    times: list[float] = []

    async def one(index: int, ws) -> None:
        for turn in range(messages):
            await asyncio.sleep(random.uniform(0, spread))
            started = time.perf_counter()
            await ws.send(json.dumps({"n": turn}))
            await asyncio.wait_for(ws.recv(), 10)
            times.append(time.perf_counter() - started)

    held = [
        await connect(f"ws://{HOST}:{port}/ws/bench/echo/", origin=origin) for _ in range(sockets)
    ]
    try:
        await asyncio.gather(*(one(i, ws) for i, ws in enumerate(held)))
    finally:
        await asyncio.gather(*(ws.close() for ws in held))
    return times


async def chat_round(
    customer_port: int, agent_port: int, setup: dict, messages: int, spread: float
) -> dict:
    tokens = setup["tokens"]
    cookie = setup["session"]
    times: list[float] = []
    lost = 0
    doubled = 0
    waiting: dict[str, asyncio.Future] = {}
    agents = []
    chats_of = [tokens[i::AGENT_SOCKETS] for i in range(AGENT_SOCKETS)]
    for chats in chats_of:
        ws = await connect(
            f"ws://{HOST}:{agent_port}/ws/desk/",
            origin=f"http://{HOST}:{agent_port}",
            additional_headers={"Cookie": cookie},
        )
        for chat_id, _token in chats:
            await ws.send(json.dumps({"type": "watch", "chat": chat_id, "last_id": 10**12}))
        agents.append(ws)

    async def agent_loop(ws) -> None:
        async for raw in ws:
            data = json.loads(raw)
            if data.get("type") == "message" and data["message"]["from"] == "customer":
                body = data["message"]["body"]
                await ws.send(
                    json.dumps({"type": "message", "chat": data["chat"], "body": "re " + body})
                )

    async def agent_guarded(ws) -> None:
        # A server that closes an agent's socket ends its loop; the close is counted below.
        try:
            await agent_loop(ws)
        except websockets.exceptions.ConnectionClosed:
            pass

    agent_tasks = [asyncio.create_task(agent_guarded(ws)) for ws in agents]
    customers = []
    for _chat_id, token in tokens:
        customers.append(
            await connect(
                f"ws://{HOST}:{customer_port}/ws/chat/{token}/",
                origin=f"http://{HOST}:{customer_port}",
            )
        )
    # Every socket is open: the agents' watches were answered (their replays) before this.
    await asyncio.sleep(1)

    async def customer(index: int, ws) -> None:
        nonlocal lost, doubled
        seen: set[int] = set()

        async def reader() -> None:
            try:
                await read()
            except websockets.exceptions.ConnectionClosed:
                pass

        async def read() -> None:
            nonlocal doubled
            async for raw in ws:
                data = json.loads(raw)
                if data.get("type") != "message":
                    continue
                message = data["message"]
                if message["id"] in seen:
                    doubled += 1
                    continue
                seen.add(message["id"])
                if message["from"] == "agent" and (future := waiting.pop(message["body"], None)):
                    future.set_result(time.perf_counter())

        task = asyncio.create_task(reader())
        for turn in range(messages):
            await asyncio.sleep(random.uniform(0, spread))
            body = f"{index}-{turn}"
            future = asyncio.get_running_loop().create_future()
            waiting["re " + body] = future
            started = time.perf_counter()
            try:
                await ws.send(json.dumps({"type": "message", "body": body, "client_id": body}))
                times.append(await asyncio.wait_for(future, 15) - started)
            except (TimeoutError, websockets.exceptions.ConnectionClosed):
                waiting.pop("re " + body, None)
                lost += 1
        await asyncio.sleep(0.5)
        task.cancel()

    started = time.perf_counter()
    await asyncio.gather(*(customer(i, ws) for i, ws in enumerate(customers)))
    elapsed = time.perf_counter() - started
    for task in agent_tasks:
        task.cancel()
    # Before our own closes: what the server (or the network) closed, by code and reason.
    closed = collections.Counter(
        f"{kind} {ws.close_code} {ws.close_reason or '-'}"
        for kind, group in [("customer", customers), ("agent", agents)]
        for ws in group
        if ws.close_code is not None
    )
    await asyncio.gather(*(ws.close() for ws in [*customers, *agents]))
    return {"times": times, "lost": lost, "doubled": doubled, "elapsed": elapsed, "closed": closed}


def server_errors(log_path: Path) -> str:
    """The exceptions daphne logged (an application's exception closes its socket with 1011):
    how many of each, by the traceback's last line, and the first traceback."""
    lines = log_path.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if "Exception inside application" in line]
    if not starts:
        return ""
    kinds: collections.Counter = collections.Counter()
    first: list[str] = []
    for start in starts:
        # A traceback runs until the next log record (a time) or access-log line (an address).
        end = next(
            (i for i in range(start + 1, len(lines)) if NEXT_RECORD.match(lines[i])), len(lines)
        )
        block = lines[start:end]
        unindented = [line for line in block[1:] if line and not line[0].isspace()]
        kinds[unindented[-1] if unindented else block[0]] += 1
        first = first or block[:60]
    found = [f"  {log_path.name}: {len(starts)} exceptions inside the application"]
    found += [f"    {count} x {kind}" for kind, count in kinds.most_common(5)]
    found += ["    the first:", *(f"      {line}" for line in first)]
    return "\n".join(found)


def summary(name: str, chat: dict, echo: list[float], connections: int, messages: int) -> str:
    times = chat["times"]
    p50, p99 = statistics.median(times) * 1000, percentile(times, 0.99) * 1000
    echo50 = statistics.median(echo) * 1000
    rate = len(times) * 2 / chat["elapsed"]
    return (
        f"  {name:<24} {connections} sockets held, {len(times)}/{messages} round trips,"
        f" {rate:.0f} stored messages/s\n"
        f"  {'':<24} round trip p50 {p50:.1f} ms, p99 {p99:.1f} ms;"
        f" echo p50 {echo50:.1f} ms; chat/echo p50 {p50 / echo50:.1f}\n"
        f"  {'':<24} lost {chat['lost']}, doubled {chat['doubled']}; closed by the server:"
        f" {', '.join(f'{n} x {what}' for what, n in chat['closed'].items()) or 'none'}"
    )


async def layer_run(name: str, var_dir: Path, args, *, redis: bool) -> str:
    ports = [free_port(), free_port()] if redis else [free_port()]
    extra = dict(UNLIMITED, **({"REDIS_URL": REDIS_URL} if redis else {}))
    env = environment(var_dir, ports[0], **extra)
    # Each layer starts from its own database: the same chats, no messages from the last run.
    database = var_dir / "db.sqlite3"
    database.unlink(missing_ok=True)
    for suffix in ["-wal", "-shm"]:
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    manage("migrate", "--noinput", env=env)
    manage("import_help_page", str(SEED), env=env)
    printed = manage("shell", "-c", SETUP.format(count=args.connections), env=env)
    setup = json.loads(printed.strip().splitlines()[-1])
    if redis:
        subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=False, capture_output=True)
    servers = [daphne_start(env, port, var_dir / f"daphne-{name}-{port}.log") for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            await port_wait(port, server)
        echo = await echo_round(ports[0], args.connections, args.messages, args.spread)
        chat = await chat_round(ports[0], ports[-1], setup, args.messages, args.spread)
    except (OSError, websockets.exceptions.WebSocketException) as error:
        raise BenchError(f"{name}: a socket failed: {error!r}") from error
    finally:
        for server in servers:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Closing hundreds of sockets can outlast the wait: the figures are taken.
                server.kill()
                server.wait()
    total = args.connections * args.messages
    errors = [server_errors(var_dir / f"daphne-{name}-{port}.log") for port in ports]
    result = summary(name, chat, echo, args.connections + AGENT_SOCKETS, total)
    return "\n".join([result, *(e for e in errors if e)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--messages", type=int, default=4, help="per customer")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds between a customer's")
    parser.add_argument("--layer", choices=["memory", "redis", "both"], default="both")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    say("Sekvens Hjelp: live chat benchmark")
    say(
        f"  load     {args.connections} customer sockets + {AGENT_SOCKETS} agent sockets,"
        f" {args.messages} messages per customer, 0-{args.spread:g} s apart; SQLite"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        try:
            if args.layer in ("memory", "both"):
                results.append(
                    asyncio.run(layer_run("in-memory, 1 daphne", Path(var_dir), args, redis=False))
                )
            if args.layer in ("redis", "both"):
                results.append(
                    asyncio.run(layer_run("Redis, daphne A -> B", Path(var_dir), args, redis=True))
                )
        except BenchError as error:
            say(f"\nFAIL: {error}")
            for log in sorted(Path(var_dir).glob("daphne-*.log")):
                say(server_errors(log) or f"{log.name}:\n{log.read_text()[-2000:]}")
            return 1
    say()
    for line in results:
        say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
