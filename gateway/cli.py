"""The `gateway` command: serve, schema, db upgrade|seed, sandbox serve, outbox, tokens, keys,
clients, documents. What needs the sandbox (`serve --demo`, `db seed`, `sandbox serve`) goes
through the demo (gateway/demo/), the one part of the product that imports it."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from gateway.settings import Settings

TODAY_ARGUMENT = ("--today",)
TODAY_OPTIONS: dict[str, Any] = {
    "type": date.fromisoformat,
    "default": None,
    "metavar": "YYYY-MM-DD",
    "help": "reproducible run: the clock moved onto this day (the wall clock's time of day, "
    "ticking) and the demo world generated for it (default: GATEWAY_TODAY, else the current "
    "day in China)",
}


def _serve(args: argparse.Namespace) -> None:
    import os

    import uvicorn

    from gateway.clock import build_clock
    from gateway.workers import OVERRIDES, build_worker_app, per_worker, workers_for

    settings = Settings()
    updates = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("today", args.today))
        if v is not None
    }
    settings = settings.model_copy(update=updates)
    workers = 1 if args.demo else workers_for(settings, args.workers)
    from gateway.logging import configure_logging, logging_config

    if workers > 1:  # gateway/workers.py: each worker builds its app from the environment
        os.environ.update(
            {OVERRIDES[k]: str(v) for k, v in {**updates, "workers": workers}.items()}
        )
        configure_logging(settings.log_level, settings.log_format)
        print(
            f"{workers} workers; per worker: {', '.join(per_worker(settings))}",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.run(
            "gateway.workers:app_factory",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_config=logging_config(settings.log_level, settings.log_format),
        )
        return
    clock = build_clock(settings)  # the one clock: the demo's sandboxes, tokens and the gateway
    if args.demo:
        from gateway.demo.mode import banner, prepare

        settings, sandbox, access = prepare(settings, clock)
        print(banner(settings, sandbox, access), flush=True)
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        build_worker_app(settings, clock),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=logging_config(settings.log_level, settings.log_format),
    )


def _schema(args: argparse.Namespace) -> None:
    from schemas.schema import federation_sdl, sdl

    if args.action == "check":
        _schema_check(args)
    elif args.federation:
        sys.stdout.write(federation_sdl(Settings().federation_security))
    else:
        sys.stdout.write(sdl())


def _schema_check(args: argparse.Namespace) -> None:
    """`gateway schema check`: breaks against the last release (graphql-core's and federation's:
    `@key` removed or changed, new auth requirements, nullability) not announced; with
    `--supergraph`, also the candidate federation SDL composed with the partner SDLs by Apollo's
    and the Guild's composers (gateway/supergraph.py). Exit 1 on any break or composition error,
    2 when the composers cannot run."""
    from pathlib import Path

    from schemas.governance import unannounced_breaks
    from schemas.schema import build_schema, sdl

    release = Path(args.release) if args.release else None
    breaks = unannounced_breaks(build_schema()._schema, release, current_sdl=sdl())
    for line in breaks:
        print(line)
    if breaks:
        print(f"{len(breaks)} unannounced breaking change(s)", file=sys.stderr)
    else:
        print("no unannounced breaking change")
    errors = _supergraph_check(args) if args.supergraph else []
    if breaks or errors:
        raise SystemExit(1)


def _supergraph_check(args: argparse.Namespace) -> list[Any]:
    from pathlib import Path

    from gateway.supergraph import ComposersMissing, partner_sdls, supergraph_check
    from schemas.federation_sdl import without_security
    from schemas.schema import federation_sdl

    if args.candidate:
        candidates = {args.candidate: Path(args.candidate).read_text("utf-8")}
    else:  # what `_service` answers in either security mode
        router = federation_sdl("router")
        candidates = {"security=subgraph": without_security(router), "security=router": router}
    partners = partner_sdls(Path(args.partners)) if args.partners else partner_sdls()
    try:
        errors = supergraph_check(candidates, partners)
    except ComposersMissing as missing:
        print(f"supergraph check cannot run: {missing}", file=sys.stderr)
        raise SystemExit(2) from None
    for error in errors:
        print(error)
    names = ", ".join(p.stem for p in partners) or "no partner"
    if errors:
        print(f"{len(errors)} composition error(s) with {names}", file=sys.stderr)
    else:
        print(f"composes with {names} by Apollo's and the Guild's composers")
    return errors


def _db(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.today is not None:
        settings = settings.model_copy(update={"today": args.today})
    if args.action == "upgrade":
        from connectors.store import upgrade

        upgrade(settings.owner_database_url, sqlite_path=settings.sqlite_path)
        print("store migrated to head")
        return
    from gateway.demo.cli import seed_demo_world

    seed_demo_world(settings, args.seed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="Enforcement GraphQL gateway")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument(
        "--demo", action="store_true", help="sandbox upstreams, seeded SQLite store, IDE"
    )
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(*TODAY_ARGUMENT, **TODAY_OPTIONS)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: GATEWAY_WORKERS, else one per core with REDIS_URL "
        "and one without; see gateway/workers.py for what is per worker)",
    )
    serve.set_defaults(func=_serve)

    schema = sub.add_parser("schema", help="print the SDL")
    schema.add_argument(
        "--federation", action="store_true", help="the subgraph SDL `_service { sdl }` answers"
    )
    schema.add_argument(
        "action", nargs="?", choices=["check"], help="check: unannounced breaking changes"
    )
    schema.add_argument("--release", default=None, help="the released SDL (default: the latest)")
    schema.add_argument(
        "--supergraph",
        action="store_true",
        help="check: also compose the candidate with the partner SDLs (schemas/partners/) by "
        "Apollo's and the Guild's composers (Node.js, `make composers`)",
    )
    schema.add_argument(
        "--candidate",
        default=None,
        metavar="FILE",
        help="--supergraph: the federation SDL to compose (default: this schema's, both "
        "security modes)",
    )
    schema.add_argument(
        "--partners",
        default=None,
        metavar="DIR",
        help="--supergraph: the partner SDLs (default: schemas/partners/)",
    )
    schema.set_defaults(func=_schema)

    db = sub.add_parser("db", help="the local store")
    db.add_argument("action", choices=["upgrade", "seed"])
    db.add_argument("--seed", type=int, default=None, help="demo-world seed (for `seed`)")
    db.add_argument(*TODAY_ARGUMENT, **TODAY_OPTIONS)
    db.set_defaults(func=_db)

    from gateway.demo.cli import add_sandbox_commands

    add_sandbox_commands(sub)

    from gateway.tokens_cli import add_token_commands

    add_token_commands(sub)

    from gateway.outbox_cli import add_outbox_commands

    add_outbox_commands(sub)

    from gateway.documents_cli import add_documents_commands

    add_documents_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
