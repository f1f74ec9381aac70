"""The closing measurements of issue 10, taken from outside, over HTTP (and the websocket), against
gateways run as their own processes on the demo world:

1. `_entities` with 10,000 `Case` representations: refused (QUERY_REJECTED/ENTITIES), and how long
   the refusal takes at the client (target: under 100 ms);
2. a clairvoyance-style field recovery with introspection off (a non-demo configuration): every
   field name of the schema, near misses of them (what draws "Did you mean …") and decoys, sent
   where a field goes, over HTTP and the websocket; a name counts as recovered when its answer
   differs from a decoy's or when an error names a schema field the probe did not send
   (target: 0);
3. the ID-number oracle: the street team enumerates the check-digit-valid candidates behind the
   masked number of a person of the other county, seven a request (two lookups each), over HTTP;
   a client with `pii:read@*` runs the same as the control (target: nothing recovered by the
   street team; the control finds it);
4. a PostgreSQL outage of 30 s: a gateway on a fresh database of the local PostgreSQL, reached
   through a TCP proxy that is cut (the server itself is never touched), queried without pause
   during the outage and after; every status is counted (target: no 401, no 500).

    python -m bench.closing [--outage 30] [--skip-postgres]

The sandbox upstreams run in their own processes as in `python -m bench`."""

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
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
from graphql import GraphQLObjectType, build_schema

from bench.__main__ import BENCH_DAY, _wait_for
from domain.identifiers import id_number_check_char, mask_id_number
from gateway.demo.mode import showcase_case
from sandbox.common import free_port
from sandbox.runner import Credentials
from sandbox.world import DEFAULT_SEED, demo_world

STREET = "990121001"
TARGET_COUNTY = "990122"
CLIENTS = [
    {
        "client_id": "street-app",
        "tenant": STREET,
        "scope": "case:read case:write event:read credit:read supervision:read officer:read",
        "secret": "street-secret-closing",
    },
    {
        "client_id": "pii-app",
        "tenant": STREET,
        "scope": "case:read credit:read pii:read@*",
        "secret": "pii-secret-closing",
    },
]
ROOT = Path(__file__).resolve().parent.parent
PIDS: dict[str, int] = {}  # gateway URL -> its process (for its CPU time)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): a figure the load of a shared
    machine inflates far less than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def env_for(ports: dict[str, int], **extra: str) -> dict[str, str]:
    c = Credentials()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
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
            "GATEWAY_TODAY": BENCH_DAY.isoformat(),
            "GATEWAY_LOG_LEVEL": "warning",
            "GATEWAY_OAUTH_CLIENTS": json.dumps(CLIENTS),
            "GATEWAY_RATE_LIMIT_PER_CLIENT": "0",
            "GATEWAY_RATE_LIMIT_PER_TENANT": "0",
            "GATEWAY_WEBSOCKET_OPERATIONS": "true",  # the socket answers queries: probe it too
            "GATEWAY_RELAY_ENABLED": "false",
        }
    )
    env.update(extra)
    return env


@contextmanager
def upstreams() -> Iterator[dict[str, int]]:
    ports = {name: free_port() for name in ("smartcity", "provincial", "credit")}
    py = sys.executable
    procs = [
        subprocess.Popen(
            [
                py,
                "-m",
                "sandbox.cli",
                "serve",
                "--systems",
                system,
                "--smartcity-port",
                str(ports["smartcity"]),
                "--provincial-port",
                str(ports["provincial"]),
                "--credit-port",
                str(ports["credit"]),
            ],
            env=env_for(ports),
            stdout=subprocess.DEVNULL,
        )
        for system in ports
    ]
    try:
        for name in ports:
            _wait_for(f"http://127.0.0.1:{ports[name]}")
        yield ports
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


@contextmanager
def gateway(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    py = sys.executable
    subprocess.run(
        [py, "-m", "gateway", "db", "seed"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    proc = subprocess.Popen([py, "-m", "gateway", "serve", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    PIDS[url] = proc.pid
    try:
        _wait_for(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def token(url: str, client_id: str) -> str:
    secret = next(c["secret"] for c in CLIENTS if c["client_id"] == client_id)
    response = httpx2.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def post(url: str, bearer: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx2.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30,
    )
    return response.json()


# --- 1. _entities ------------------------------------------------------------------------------

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Case { number title supervision { status } officers { name } } } }"""


def measure_entities(url: str, bearer: str, number: str, runs: int = 7) -> dict[str, Any]:
    representations = [{"__typename": "Case", "number": number}] * 10_000
    body = json.dumps({"query": ENTITIES, "variables": {"r": representations}})
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    times, reasons = [], set()
    with httpx2.Client(timeout=30) as client:
        client.post(f"{url}/graphql", content=body, headers=headers)  # warm the caches
        cpu = cpu_seconds(PIDS[url])
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post(f"{url}/graphql", content=body, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            (error,) = response.json()["errors"]
            reasons.add((error["extensions"]["code"], error["extensions"].get("reason")))
        cpu = cpu_seconds(PIDS[url]) - cpu
    return {
        "bytes": len(body),
        "answers": sorted(reasons),
        "ms_median": round(statistics.median(times), 1),
        "ms_max": round(max(times), 1),
        "gateway_cpu_ms_per_request": round(cpu / runs * 1000, 1),
        "load_average": os.getloadavg()[0],
    }


# --- 2. field recovery ---------------------------------------------------------------------------


def schema_names() -> tuple[set[str], list[str], list[str]]:
    """Every field name of the schema; the Query fields; the CaseConnection/Case fields."""
    schema = build_schema((ROOT / "schemas" / "schema.graphql").read_text(encoding="utf-8"))
    every: set[str] = set()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            every |= set(named.fields)
    query = schema.query_type
    assert query is not None
    case = schema.type_map["Case"]
    assert isinstance(case, GraphQLObjectType)
    return every, sorted(query.fields), sorted(case.fields)


def _normalised(body: Any) -> str:
    """The errors of an answer without its ids; `VALID` when the document ran (it validated:
    data, or errors of execution, which carry a `path`, such as a missing scope)."""
    errors = body.get("errors") if isinstance(body, dict) else body
    if isinstance(body, dict) and body.get("data") is not None:
        return "VALID"
    if any("path" in error for error in errors or []):
        return "VALID"
    for error in errors or []:
        error.get("extensions", {}).pop("requestId", None)
        error.get("extensions", {}).pop("traceId", None)
    return json.dumps(errors, ensure_ascii=False, sort_keys=True)


async def _over_socket(url: str, bearer: str, documents: list[str]) -> list[str]:
    from websockets.asyncio.client import connect

    answers = []
    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": bearer}}))
        json.loads(await ws.recv())
        for n, document in enumerate(documents):
            await ws.send(
                json.dumps({"id": str(n), "type": "subscribe", "payload": {"query": document}})
            )
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            payload = message.get("payload")
            answers.append(_normalised(payload))
            if message["type"] == "next":
                await asyncio.wait_for(ws.recv(), 10)  # complete
    return answers


def measure_probing(url: str, bearer: str) -> dict[str, Any]:
    every, query_fields, case_fields = schema_names()
    decoys = [f"zq{uuid.uuid4().hex[:6]}" for _ in range(3)]

    def near(name: str) -> str:
        return name[:-1] if len(name) > 3 else name + "x"

    probes: list[tuple[str, str]] = []  # (name the probe is about, document)
    for name in [*query_fields, *map(near, query_fields), *decoys]:
        probes.append((name, f"query {{ {name} }}"))
        probes.append((name, f"query {{ {name} {{ __typename }} }}"))
    for name in [*case_fields, *map(near, case_fields), *decoys]:
        probes.append((name, f'query {{ case(number: "x") {{ {name} }} }}'))
    recovered: dict[str, set[str]] = {}
    valid: dict[str, set[str]] = {}
    for transport in ("http", "websocket"):
        documents = [d for _, d in probes]
        if transport == "http":
            answers = [_normalised(post(url, bearer, d)) for d in documents]
        else:
            answers = asyncio.run(_over_socket(url, bearer, documents))
        found: set[str] = set()
        ran: set[str] = set()
        by_shape: dict[str, str] = {}
        for (name, document), text in zip(probes, answers, strict=True):
            shape = document.replace(name, "NAME")
            if name in decoys:
                by_shape.setdefault(shape, text.replace(name, "NAME"))
        for (name, document), text in zip(probes, answers, strict=True):
            shape = document.replace(name, "NAME")
            baseline = by_shape.get(shape)
            if text == "VALID":
                ran.add(name)  # a valid document runs: no error text involved
            elif name in every and baseline is not None and text.replace(name, "NAME") != baseline:
                found.add(name)  # its refusal differs from a made-up name's
            for word in every:  # a schema name the probe did not send ("Did you mean …")
                if len(word) > 3 and word not in document and f"'{word}'" in text:
                    found.add(word)
        # clairvoyance's batches: every candidate of a place in one document; errors that name
        # the wrong ones give the right ones away.
        for place, names in (
            ("query {{ {} }}", query_fields),
            ('query {{ case(number: "x") {{ {} }} }}', case_fields),
        ):
            batch = [*names, *decoys]
            document = place.format(" ".join(batch))
            text = (
                _normalised(post(url, bearer, document))
                if transport == "http"
                else asyncio.run(_over_socket(url, bearer, [document]))[0]
            )
            if any(f"'{d}'" in text for d in decoys):
                found |= {n for n in names if f"'{n}'" not in text}
        recovered[transport] = found
        valid[transport] = ran
    return {
        "probes_per_transport": len(probes),
        # what clairvoyance does: read the refusals (suggestions, names, differing messages)
        "recovered_from_errors_http": sorted(recovered["http"]),
        "recovered_from_errors_websocket": sorted(recovered["websocket"]),
        # a document that is valid runs and answers: no masking can hide that (persisted-only
        # clients can: GATEWAY_PERSISTED_ONLY_CLIENTS); counted, not a leak of error texts
        "names_in_documents_that_ran_http": len(valid["http"]),
        "names_in_documents_that_ran_websocket": len(valid["websocket"]),
    }


# --- 3. the ID-number oracle ---------------------------------------------------------------------


def candidates(masked: str, division: str, year: int) -> list[str]:
    head, tail = masked[:4], masked[-4:]
    assert division.startswith(head)
    found, day = [], date(year, 1, 1)
    while day.year == year:
        first17 = division + day.strftime("%Y%m%d") + tail[:3]
        if id_number_check_char(first17) == tail[3]:
            found.append(first17 + tail[3])
        day += timedelta(days=1)
    return found


def measure_oracle(url: str) -> dict[str, Any]:
    world = demo_world(DEFAULT_SEED, BENCH_DAY)
    target = next(
        p.party_code
        for p in world.penalty_records
        if p.party_code.startswith(TARGET_COUNTY) and len(p.party_code) == 18
    )
    pool = candidates(mask_id_number(target), TARGET_COUNTY, int(target[6:10]))

    def run(client_id: str) -> tuple[list[str], int, int]:
        bearer = token(url, client_id)
        confirmed, refused, requests = [], 0, 0
        for start in range(0, len(pool), 7):
            batch = pool[start : start + 7]
            fields = " ".join(
                f'c{i}: crossSystemCases(partyCode: "{c}") {{ hits {{ number }} }} '
                f's{i}: subject(code: "{c}") {{ code }}'
                for i, c in enumerate(batch)
            )
            body = post(url, bearer, "query Probe { " + fields + " }")
            requests += 1
            data = body.get("data") or {}
            confirmed += [
                c
                for i, c in enumerate(batch)
                if (data.get(f"c{i}") or {}).get("hits") or data.get(f"s{i}") is not None
            ]
            refused += sum(
                1 for e in body.get("errors", []) if e["extensions"].get("scope") == "id-lookup"
            )
        return confirmed, refused, requests

    street, street_refused, requests = run("street-app")
    control, _, _ = run("pii-app")
    return {
        "masked": mask_id_number(target),
        "candidates": len(pool),
        "requests": requests,
        "street_recovered": street,
        "street_lookups_refused_by_budget": street_refused,
        "control_pii_read_recovered": [c == target for c in control],
    }


# --- 4. a PostgreSQL outage ----------------------------------------------------------------------


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    admin = os.environ.get("DATABASE_TEST_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"closing_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure_outage(ports: dict[str, int], seconds: float) -> dict[str, Any]:
    from tests.faults import TcpProxy

    with postgres_database() as direct:
        host_port = direct.split("@", 1)[1].split("/", 1)[0]
        host, _, port = host_port.partition(":")
        with TcpProxy(host, int(port or 5432)) as proxy:
            proxied = direct.replace(host_port, f"{proxy.host}:{proxy.port}")
            env = env_for(
                ports,
                DATABASE_URL=proxied,
                GATEWAY_MIGRATION_DATABASE_URL=proxied,
                GATEWAY_JWKS_CACHE_TTL="5",
            )
            with gateway(env) as url:  # `db seed` migrates, then seeds
                bearer = token(url, "street-app")
                query = "query Outage { cases(first: 1) { totalCount } }"
                assert "errors" not in post(url, bearer, query)
                statuses: Counter[str] = Counter()
                codes: Counter[str] = Counter()
                proxy.cut()
                ends = time.monotonic() + seconds
                while time.monotonic() < ends:
                    response = httpx2.post(
                        f"{url}/graphql",
                        json={"query": query},
                        headers={"Authorization": f"Bearer {bearer}"},
                        timeout=30,
                    )
                    statuses[f"graphql {response.status_code}"] += 1
                    for error in response.json().get("errors", []):
                        codes[error["extensions"]["code"]] += 1
                    if statuses.total() % 20 == 0:
                        issued = httpx2.post(
                            f"{url}/oauth/token",
                            data={"grant_type": "client_credentials"},
                            auth=("street-app", CLIENTS[0]["secret"]),
                            timeout=30,
                        )
                        statuses[f"token {issued.status_code}"] += 1
                proxy.restore()
                recovered_after = None
                started = time.monotonic()
                while time.monotonic() - started < 30:
                    body = post(url, bearer, query)
                    if "errors" not in body:
                        recovered_after = round(time.monotonic() - started, 2)
                        break
                    time.sleep(0.2)
    bad = sum(n for k, n in statuses.items() if k.endswith((" 401", " 500")))
    return {
        "outage_s": seconds,
        "responses": dict(statuses),
        "graphql_error_codes": dict(codes),
        "responses_401_or_500": bad,
        "answers_again_after_s": recovered_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=30.0, help="seconds of PostgreSQL down")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    world = demo_world(DEFAULT_SEED, BENCH_DAY)
    results: dict[str, Any] = {}
    with upstreams() as ports, tempfile.TemporaryDirectory() as tmp:
        env = env_for(ports, GATEWAY_SQLITE_PATH=str(Path(tmp) / "closing.db"))
        with gateway(env) as url:  # a non-demo configuration: introspection off
            street = token(url, "street-app")
            results["entities_10000"] = measure_entities(url, street, showcase_case(world))
            results["field_recovery_introspection_off"] = measure_probing(url, street)
            results["id_number_oracle"] = measure_oracle(url)
        if not args.skip_postgres:
            results["postgres_outage"] = measure_outage(ports, args.outage)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
