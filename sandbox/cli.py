"""`sandbox serve`: run the reference upstream systems standalone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from datetime import date

from domain.clock import clock_for
from sandbox.world import DEFAULT_SEED

# sandbox.runner (the three upstreams' apps) is imported by the commands that serve them, not by
# `gateway --help` or a `gateway` command that only builds this parser.


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smartcity-port", type=int, default=8101)
    parser.add_argument("--provincial-port", type=int, default=8102)
    parser.add_argument("--credit-port", type=int, default=8103)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay added to every upstream answer"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo-world seed")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="serve the world of this day, the clock moved onto it (the wall clock's time of "
        "day, ticking); default: GATEWAY_TODAY, else the current day in China",
    )
    parser.add_argument(
        "--systems",
        default=None,
        help="comma-separated subset of smartcity,provincial,credit to run (default: all three)",
    )


def run_serve(args: argparse.Namespace) -> None:
    from sandbox.runner import Credentials, serve_forever

    c = Credentials()
    host = args.host
    print(
        f"smart-city platform   http://{host}:{args.smartcity_port}  (X-API-Key: {c.smartcity_api_key})"
    )
    print(
        f"provincial platform   http://{host}:{args.provincial_port}  "
        f"(client {c.provincial_client_id} / {c.provincial_client_secret})"
    )
    print(
        f"credit system         http://{host}:{args.credit_port}  (app {c.credit_app_key} / {c.credit_app_secret})"
    )
    print("each serves /openapi.json and /_admin/{counters,faults,latency,reset}")
    clock = clock_for(today_of(args))
    print(f"demo world of {clock.today()} (seed {args.seed})")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_forever(
                args.seed,
                clock=clock,
                latency_ms=args.latency_ms,
                host=host,
                ports=(args.smartcity_port, args.provincial_port, args.credit_port),
                systems=_systems(args.systems),
            )
        )


def today_of(args: argparse.Namespace) -> date | None:
    """`--today`, else `GATEWAY_TODAY`, else None (the current day)."""
    given: date | None = args.today  # set by the `--today` option (type=date.fromisoformat)
    if given is not None:
        return given
    value = os.environ.get("GATEWAY_TODAY", "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise SystemExit(f"GATEWAY_TODAY={value!r} is not a date (YYYY-MM-DD)") from None


def _systems(value: str | None) -> tuple[str, ...]:
    from sandbox.runner import SYSTEMS

    if value is None:
        return SYSTEMS
    chosen = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = set(chosen) - set(SYSTEMS)
    if unknown or not chosen:
        raise SystemExit(f"--systems takes a subset of {','.join(SYSTEMS)}")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sandbox", description="Reference upstream systems")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(sub.add_parser("serve", help="run the three upstream systems"))
    args = parser.parse_args(argv)
    run_serve(args)


if __name__ == "__main__":
    main()
