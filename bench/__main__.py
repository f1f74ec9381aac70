"""`make bench`: P1–P3 and P5 of DESIGN §6, the upstream call path's own costs (bench/guard.py:
a refusal by an open breaker, a call cut by the request deadline) and the HTTP-client comparison,
as ratios taken in one run; `--soak MINUTES --rate N` instead runs the soak of P4 (bench/soak.py).

The sandbox upstreams (with injected latency), the gateway and the hand-written baseline each run
in their own process on loopback ports; this process is the load generator.

    python -m bench [--latency-ms 20] [--samples 200] [--duration 10] [--concurrency 16] [--quick]
    python -m bench --store postgres [--database-url postgresql://127.0.0.1:5432/gateway_bench]
    python -m bench --soak 1 --rate 50

The store is a fresh SQLite file by default; `--store postgres` seeds a PostgreSQL database made
for the run instead (dropped and created again: its name must contain "bench"), and the gateway
and the baseline read it through `DATABASE_URL`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import aiohttp
import httpx2

from bench import auth as bench_auth
from bench import guard, p5, soak
from bench.clients import compare_clients
from bench.clients import table as client_table
from bench.cpu import as_json, cpu_per_request, load_average, under_load
from domain.clock import SystemClock
from gateway.demo.mode import showcase_case
from sandbox.common import free_port
from sandbox.runner import Credentials
from sandbox.world import DEFAULT_SEED, World, demo_world

P1_QUERY = """query CaseDetail($n: String!) {
  case(number: $n) {
    number title status
    subject { creditProfile { level } }
    sourceEvent { id status }
    supervision { status publicity }
    officers { name certificate { status validUntil } }
  }
}"""

P2_QUERY = """query CasePage {
  cases(first: 100) {
    edges { node {
      number
      subject { creditProfile { level } }
      sourceEvent { id status }
      supervision { status }
      officers { name certificate { status } }
    } }
  }
}"""


def bench_day() -> date:
    """The one day every process of a run lives on (sandboxes, store seed, gateway, baseline):
    `GATEWAY_TODAY` if set, else the current day in China when the run starts."""
    value = os.environ.get("GATEWAY_TODAY", "").strip()
    return date.fromisoformat(value) if value else SystemClock().today()


BENCH_DAY = bench_day()


def bench_world() -> World:
    return demo_world(DEFAULT_SEED, BENCH_DAY)


def _town() -> str:
    """The tenant of the showcase case: the town-scoped token's home."""
    world = bench_world()
    number = showcase_case(world)
    return next(c.tenant for c in world.cases if c.number == number)


DEFAULT_BENCH_DATABASE = "postgresql://postgres@127.0.0.1:5432/gateway_bench"


def fresh_database(url: str) -> None:
    """Drop and create the database of `url` (on its server's `postgres` database): every run
    seeds the same world. Only a database named for the bench, never one a test or a person
    uses."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in name:
        raise SystemExit(f"--database-url: the bench drops its database; {name!r} is not a bench's")
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')


def _env(ports: dict[str, int], db_path: str, database_url: str | None) -> dict[str, str]:
    c = Credentials()
    env = dict(os.environ)
    env.update(
        {
            "GATEWAY_SMARTCITY_URL": f"http://127.0.0.1:{ports['smartcity']}",
            "GATEWAY_SMARTCITY_API_KEY": c.smartcity_api_key,
            "GATEWAY_PROVINCIAL_URL": f"http://127.0.0.1:{ports['provincial']}",
            "GATEWAY_PROVINCIAL_CLIENT_ID": c.provincial_client_id,
            "GATEWAY_PROVINCIAL_CLIENT_SECRET": c.provincial_client_secret,
            "GATEWAY_CREDIT_URL": f"http://127.0.0.1:{ports['credit']}",
            "GATEWAY_CREDIT_APP_KEY": c.credit_app_key,
            "GATEWAY_CREDIT_APP_SECRET": c.credit_app_secret,
            "GATEWAY_SQLITE_PATH": db_path,
            "GATEWAY_TODAY": BENCH_DAY.isoformat(),
            "GATEWAY_LOG_LEVEL": "warning",
            # One load generator is one client: the benchmarks measure the gateway, not its
            # rate limits (docs/hardening.md).
            "GATEWAY_RATE_LIMIT_PER_CLIENT": "0",
            "GATEWAY_RATE_LIMIT_PER_TENANT": "0",
            # one issuer name for the gateway and the baseline, which validates the same tokens
            "GATEWAY_TOKEN_ISSUER": "http://127.0.0.1",
        }
    )
    env.update(bench_auth.client_env(_town()))
    env.pop("DATABASE_URL", None)
    env.pop("GATEWAY_MIGRATION_DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def processes(latency_ms: float, database_url: str | None = None) -> Iterator[dict[str, Any]]:
    """The sandboxes, the gateway and the baseline on a seeded store: a SQLite file of the run,
    or the PostgreSQL database `database_url` (made afresh)."""
    ports = {
        name: free_port() for name in ("smartcity", "provincial", "credit", "gateway", "baseline")
    }
    tmp = tempfile.mkdtemp(prefix="gateway-bench-")
    if database_url is not None:
        fresh_database(database_url)
    env = _env(ports, os.path.join(tmp, "bench.db"), database_url)
    py = sys.executable
    subprocess.run(
        [py, "-m", "gateway", "db", "seed"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    # Each upstream in its own process, as separate systems are.
    names = ("smartcity", "provincial", "credit", "gateway", "baseline")
    procs = [
        subprocess.Popen(
            [
                py,
                "-m",
                "sandbox.cli",
                "serve",
                "--systems",
                system,
                "--latency-ms",
                str(latency_ms),
                "--smartcity-port",
                str(ports["smartcity"]),
                "--provincial-port",
                str(ports["provincial"]),
                "--credit-port",
                str(ports["credit"]),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for system in ("smartcity", "provincial", "credit")
    ] + [
        subprocess.Popen(
            [py, "-m", "gateway", "serve", "--port", str(ports["gateway"]), "--workers", "1"],
            env=env,
        ),
        subprocess.Popen(
            [py, "-m", "bench.baseline"], env={**env, "GATEWAY_PORT": str(ports["baseline"])}
        ),
    ]
    try:
        for name in names:
            _wait_for(f"http://127.0.0.1:{ports[name]}")
        bench_auth.authorize(f"http://127.0.0.1:{ports['gateway']}")
        yield {"ports": ports, "env": env, "procs": dict(zip(names, procs, strict=True))}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # still serving P5's hung requests
                p.kill()
                p.wait()


def _wait_for(url: str) -> None:
    for _ in range(300):
        try:
            httpx2.get(url + "/healthz", timeout=0.5)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


async def _sequential(call: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def upstream_p50s(env: dict[str, str], number: str, n: int) -> dict[str, float]:
    """Each upstream's own p50 for the call the P1 query makes, through the same connector clients."""
    from gateway.services import build_services
    from gateway.settings import Settings

    # The same settings the gateway process reads from its environment.
    upstream_env = {
        k: v
        for k, v in env.items()
        if k.startswith(("GATEWAY_SMARTCITY", "GATEWAY_PROVINCIAL", "GATEWAY_CREDIT"))
    }
    saved = {k: os.environ.get(k) for k in upstream_env}
    os.environ.update(upstream_env)
    try:
        services = build_services(Settings(_env_file=None))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    world = bench_world()
    case = next(c for c in world.cases if c.number == number)
    certs = [world.officer(o).certificate_no or "" for o in case.handler_ids]
    try:
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "smartcity": lambda: services.smartcity.events_by_ids([case.source_event_id or ""]),
            "provincial": lambda: services.provincial.query([number], certs),
            "credit": lambda: services.credit.profiles_by_codes([case.party_code]),
        }
        result = {}
        for name, call in calls.items():
            await _sequential(call, 10)
            result[name] = p50(await _sequential(call, n))

        async def fan_out() -> None:
            await asyncio.gather(*(call() for call in calls.values()))

        result["fan-out"] = p50(await _sequential(fan_out, n))
        return result
    finally:
        from gateway.services import close_services

        await close_services(services)


async def graphql_p50(url: str, number: str, n: int) -> float:
    async with httpx2.AsyncClient(timeout=30) as client:

        async def call() -> None:
            r = await client.post(
                url,
                json={"query": P1_QUERY, "variables": {"n": number}},
                headers=bench_auth.HEADERS,
            )
            body = r.json()
            if body.get("errors") or not body["data"]["case"]:
                raise RuntimeError(f"P1 query failed: {body}")

        await _sequential(call, 20)
        return p50(await _sequential(call, n))


async def p2_counts(ports: dict[str, int]) -> dict[str, Any]:
    async with httpx2.AsyncClient(timeout=30) as client:
        for name in ("smartcity", "provincial", "credit"):
            await client.post(f"http://127.0.0.1:{ports[name]}/_admin/reset")
        r = await client.post(
            f"http://127.0.0.1:{ports['gateway']}/graphql",
            json={"query": P2_QUERY},
            headers=bench_auth.HEADERS,
        )
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(f"P2 query failed: {body['errors'][:2]}")
        counts = {}
        for name in ("smartcity", "provincial", "credit"):
            c = (await client.get(f"http://127.0.0.1:{ports[name]}/_admin/counters")).json()
            counts[name] = c["counters"]
        counts["cases"] = len(body["data"]["cases"]["edges"])
        return counts


async def throughput(
    make_request: Callable[[aiohttp.ClientSession], Awaitable[None]],
    duration: float,
    concurrency: int,
) -> tuple[float, int]:
    done = errors = 0
    deadline = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                try:
                    await make_request(session)
                    done += 1
                except Exception:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed, errors


def gateway_request(url: str, number: str) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    payload = {"query": P1_QUERY, "variables": {"n": number}}

    async def request(session: aiohttp.ClientSession) -> None:
        async with session.post(url, json=payload, headers=bench_auth.HEADERS) as r:
            body = await r.json()
            if body.get("errors"):
                raise RuntimeError(body["errors"][0]["message"])

    return request


def baseline_request(url: str) -> Callable[[aiohttp.ClientSession], Awaitable[None]]:
    async def request(session: aiohttp.ClientSession) -> None:
        async with session.get(url, headers=bench_auth.HEADERS) as r:
            if r.status != 200:
                raise RuntimeError(str(r.status))
            await r.read()

    return request


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="fewer samples, shorter runs")
    parser.add_argument("--json", default="bench-results.json", help="where the results go")
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the local store: a SQLite file of the run, or PostgreSQL (--database-url)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE),
        help="with --store postgres: the database the run drops, creates and seeds (its name "
        "must contain 'bench'; default BENCH_DATABASE_URL, else %(default)s)",
    )
    parser.add_argument("--skip-clients", action="store_true")
    parser.add_argument("--skip-p5", action="store_true")
    parser.add_argument("--skip-guard", action="store_true")
    parser.add_argument(
        "--soak", type=float, metavar="MINUTES", help="only the soak (P4): fixed rate for MINUTES"
    )
    parser.add_argument("--rate", type=float, default=50.0, help="soak requests per second")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.duration = 50, 3.0
    if args.soak:
        _print(run_soak(args))
        return

    number = showcase_case(bench_world())
    rows: list[tuple[str, str, str, str]] = []
    results: dict[str, Any] = {"args": vars(args), "store": args.store}
    database_url = args.database_url if args.store == "postgres" else None
    rows.append(
        (
            "store",
            "the local store the gateway and the baseline read",
            store_shown(database_url),
            "",
        )
    )
    with processes(args.latency_ms, database_url) as ctx:
        ports, env = ctx["ports"], ctx["env"]
        gw = f"http://127.0.0.1:{ports['gateway']}/graphql"
        base = f"http://127.0.0.1:{ports['baseline']}/case/{number}"

        results["load_average_start"] = load_average()
        upstream = asyncio.run(upstream_p50s(env, number, args.samples))
        floor = upstream.pop("fan-out")
        reset_sandboxes(ports)
        gw_p50 = asyncio.run(graphql_p50(gw, number, args.samples))
        at_server = server_p50s(ports)  # each upstream's own p50, timed inside its server
        slowest = max(at_server.values())
        results["P1"] = {
            "gateway_p50_ms": gw_p50,
            "upstream_p50_ms_at_server": at_server,
            "upstream_p50_ms_through_connector": upstream,
            "fan_out_through_connector_ms": floor,
            "ratio": gw_p50 / slowest,
        }
        rows.append(
            (
                "P1",
                "case detail p50 (ms) vs slowest upstream's own p50 (at its server)",
                f"{gw_p50:.1f} vs {slowest:.1f} "
                + " ".join(f"[{k} {v:.1f}]" for k, v in at_server.items())
                + " through our connector: "
                + " ".join(f"[{k} {v:.1f}]" for k, v in upstream.items())
                + f" [all three at once: {floor:.1f}]",
                f"{gw_p50 / slowest:.3f} (target ≤ 1.15)",
            )
        )
        gateway_pid = ctx["procs"]["gateway"].pid
        cpu = asyncio.run(cpu_rows(gw, number, gateway_pid, args))
        results["P6"] = cpu
        rows.extend(cpu_table(cpu))
        load = asyncio.run(load_rows(gw, number, gateway_pid, args))
        results["P7"] = load
        rows.extend(load_table(load))

        counts = asyncio.run(p2_counts(ports))
        per_system = {k: sum(v.values()) for k, v in counts.items() if k != "cases"}
        rows.append(
            (
                "P2",
                f"cases(first: 100) → requests per upstream ({counts['cases']} cases)",
                " ".join(f"{k}={v}" for k, v in per_system.items()),
                "ok (1 each)" if all(v == 1 for v in per_system.values()) else "MISS",
            )
        )

        gw_rps, gw_err = asyncio.run(
            throughput(gateway_request(gw, number), args.duration, args.concurrency)
        )
        base_rps, base_err = asyncio.run(
            throughput(baseline_request(base), args.duration, args.concurrency)
        )
        rows.append(
            (
                "P3",
                f"P1 query req/s, concurrency {args.concurrency}",
                f"gateway {gw_rps:.0f} (errors {gw_err}) vs hand-written {base_rps:.0f} (errors {base_err})",
                f"{gw_rps / base_rps:.3f} (DESIGN §6 ≥ 0.6; issue 13 ≥ 1.0)",
            )
        )

        if not args.skip_guard:
            smartcity = f"http://127.0.0.1:{ports['smartcity']}"
            key = Credentials().smartcity_api_key
            rows.extend(asyncio.run(guard.measure(smartcity, key, args.samples)))

        if not args.skip_p5:
            rows.extend(run_p5(ctx, gw[: -len("/graphql")], number, args))

        if not args.skip_clients:
            smartcity = f"http://127.0.0.1:{ports['smartcity']}"
            httpx2.post(f"{smartcity}/_admin/latency", json={"latency_ms": 0})
            event_id = next(c.source_event_id for c in bench_world().cases if c.source_event_id)
            runs = asyncio.run(
                compare_clients(
                    smartcity,
                    Credentials().smartcity_api_key,
                    event_id,
                    args.concurrency,
                    2000 if not args.quick else 500,
                    rounds=1 if args.quick else 3,
                )
            )
            results["clients"] = runs
            rows.extend(client_table(runs))

    results["load_average_end"] = load_average()
    rows.append(
        (
            "load",
            "load average (1/5/15 min) at start → end; the machine may be shared",
            f"{_la(results['load_average_start'])} → {_la(results['load_average_end'])}",
            "",
        )
    )
    _print(rows)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(as_json(results), f, indent=2, ensure_ascii=False)
    print(f"\nresults: {args.json}")


def store_shown(database_url: str | None) -> str:
    if database_url is None:
        return "SQLite (a file of the run)"
    from sqlalchemy.engine import make_url

    return "PostgreSQL " + make_url(database_url).render_as_string(hide_password=True)


def _la(values: Any) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def reset_sandboxes(ports: dict[str, int]) -> None:
    for name in ("smartcity", "provincial", "credit"):
        httpx2.post(f"http://127.0.0.1:{ports[name]}/_admin/reset", timeout=10)


def server_p50s(ports: dict[str, int]) -> dict[str, float]:
    """Each sandbox's p50 of the requests it served since the reset, timed inside the server."""
    found = {}
    for name in ("smartcity", "provincial", "credit"):
        counters = httpx2.get(f"http://127.0.0.1:{ports[name]}/_admin/counters", timeout=10)
        found[name] = float(counters.json()["p50_ms"] or 0.0)
    return found


def cases_query(first: int) -> dict[str, Any]:
    return {"query": P2_QUERY.replace("cases(first: 100)", f"cases(first: {first})")}


async def cpu_rows(url: str, number: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    """P6: the gateway's CPU per request, P1 and cases(first: 10/50/100), both tokens."""
    n = max(20, args.samples // 4)
    p1 = {"query": P1_QUERY, "variables": {"n": number}}
    runs: dict[str, Any] = {}
    for who, headers in (("all tenants", bench_auth.HEADERS), ("town", bench_auth.TOWN_HEADERS)):
        runs[f"P1, {who}"] = await cpu_per_request("P1", url, p1, headers, pid, n)
        for first in (10, 50, 100):
            runs[f"cases(first: {first}), {who}"] = await cpu_per_request(
                f"cases({first})", url, cases_query(first), headers, pid, max(5, n * 10 // first)
            )
    return runs


def cpu_table(runs: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, run in runs.items():
        target = "(target ≤ 5 ms)" if name.startswith("P1") else ""
        rows.append(
            (
                "P6",
                f"CPU per request: {name}",
                f"{run.cpu_ms_per_request:.1f} ms CPU, p50 {run.p50_ms:.1f} ms ({run.requests} req)",
                target,
            )
        )
    for who in ("all tenants", "town"):
        per_row = (
            runs[f"cases(first: 100), {who}"].cpu_ms_per_request
            - runs[f"cases(first: 10), {who}"].cpu_ms_per_request
        ) / 90
        rows.append(
            (
                "P6",
                f"CPU per extra row of cases(first: 100), {who}",
                f"{per_row:.2f} ms",
                "(target ≤ 0.2 ms)",
            )
        )
    return rows


async def load_rows(url: str, number: str, pid: int, args: argparse.Namespace) -> list[Any]:
    """P7: the P1 query at concurrency 1, 8, 32 and 128."""
    p1 = {"query": P1_QUERY, "variables": {"n": number}}
    return [
        await under_load(url, p1, bench_auth.HEADERS, pid, c, args.duration)
        for c in (1, 8, 32, 128)
    ]


def load_table(runs: list[Any]) -> list[tuple[str, str, str, str]]:
    return [
        (
            "P7",
            f"P1 at concurrency {r.concurrency}",
            f"{r.requests_per_s:.0f} req/s, p50 {r.p50_ms:.0f} ms, p99 {r.p99_ms:.0f} ms, "
            f"shed {r.shed}, errors {r.errors}, {r.cpu_ms_per_request:.1f} ms CPU/req",
            f"p99/p50 {r.p99_ms / r.p50_ms:.1f} (target ≤ 3)" if r.p50_ms == r.p50_ms else "",
        )
        for r in runs
    ]


def run_p5(
    ctx: dict[str, Any], gateway: str, number: str, args: argparse.Namespace
) -> list[tuple[str, str, str, str]]:
    """P5 last but for the client comparison (smart-city only): it kills the credit system."""
    from gateway.settings import Settings

    payload = {"query": P1_QUERY, "variables": {"n": number}}
    provincial = f"http://127.0.0.1:{ctx['ports']['provincial']}"
    samples = max(20, args.samples // 4)
    normal = asyncio.run(p5.normal_p50(gateway, payload, samples))
    hung = asyncio.run(p5.hung(gateway, provincial, payload, args.concurrency, samples))
    httpx2.post(f"{provincial}/_admin/reset")
    refused = asyncio.run(p5.refused(gateway, ctx["procs"]["credit"], payload, samples))
    timeout_ms = Settings(_env_file=None).upstream_timeout * 1000
    return p5.rows(normal, [hung, refused], timeout_ms)


def run_soak(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    world = bench_world()
    numbers = [c.number for c in world.cases if c.source_event_id and c.reported_to_province]
    payloads = [{"query": P1_QUERY, "variables": {"n": n}} for n in numbers[:50]]
    with processes(args.latency_ms) as ctx:
        gateway = ctx["procs"]["gateway"]
        url = f"http://127.0.0.1:{ctx['ports']['gateway']}/graphql"
        for payload in payloads:  # warm-up: every document parsed, every pool open
            httpx2.post(url, json=payload, timeout=30)
        print(f"soak: {args.soak:g} min at {args.rate:g} req/s, gateway pid {gateway.pid}")
        result = asyncio.run(soak.soak(url, gateway.pid, args.soak, args.rate, payloads))
    return soak.rows(result)


def _print(rows: list[tuple[str, str, str, str]]) -> None:
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(r)))


if __name__ == "__main__":
    main()
