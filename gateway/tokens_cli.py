"""`gateway token`, `gateway keys rotate|list`, `gateway clients add|list`: the built-in issuer's
operator commands. They read the store and the settings exactly as the server does, so a token
printed here validates there."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gateway.settings import Settings

if TYPE_CHECKING:  # the commands import what they run when they run (a fast `gateway --help`)
    from auth.issuer import Issuer


class CommandError(Exception):
    pass


def _run(
    action: Callable[[Issuer, Settings, argparse.Namespace], Awaitable[None]],
) -> Callable[..., None]:
    def command(args: argparse.Namespace) -> None:
        from auth.issuer import RotationError
        from connectors.store import async_url, create_engine
        from gateway.tokens import build_issuer

        async def main() -> None:
            settings = Settings()
            engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
            try:
                await action(build_issuer(settings, engine), settings, args)
            finally:
                await engine.dispose()

        try:
            asyncio.run(main())
        except (CommandError, RotationError) as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc

    return command


async def _token(issuer: Issuer, settings: Settings, args: argparse.Namespace) -> None:
    client = await issuer.clients.find(args.client)
    if client is None or client.disabled:
        raise CommandError(f"no enabled client {args.client!r} (see `gateway clients list`)")
    try:
        response = await issuer.issue(client, args.scope)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(response["access_token"])


async def _keys_rotate(issuer: Issuer, settings: Settings, args: argparse.Namespace) -> None:
    config = issuer.config
    # Tokens signed just before the rotation validate until exp + leeway.
    overlap = config.ttl + settings.token_leeway if args.overlap is None else args.overlap
    await issuer.signing_key()  # a store without keys gets its first before the rotation
    kid = await issuer.rotate(overlap, force=args.force)
    print(f"new signing key {kid} ({config.algorithm}); previous keys retire in {overlap:g} s")


async def _keys_list(issuer: Issuer, _: Settings, __: argparse.Namespace) -> None:
    from auth.issuer.keys import is_published, signing

    records = await issuer.keys.list_keys()
    now = issuer.now()  # the product's clock (GATEWAY_TODAY or the wall clock)
    current = signing(records, now)
    print(f"{'kid':<45} {'alg':<6} {'created':<20} {'retires':<20} state")
    for r in sorted(records, key=lambda r: r.created_at, reverse=True):
        state = (
            "signing"
            if current is not None and r.kid == current.kid
            else ("published" if is_published(r, now) else "retired")
        )
        retires = f"{r.retires_at:%Y-%m-%d %H:%M:%S}" if r.retires_at else "-"
        print(
            f"{r.kid:<45} {r.algorithm:<6} {r.created_at:%Y-%m-%d %H:%M:%S}  {retires:<20} {state}"
        )


async def _clients_add(issuer: Issuer, settings: Settings, args: argparse.Namespace) -> None:
    from auth.issuer import hash_secret, new_secret
    from auth.scopes import ScopeError, parse_scopes
    from connectors.store.issuer import StoreClientRepository
    from domain.tenancy import is_tenant_code

    if not is_tenant_code(args.tenant):
        raise CommandError(f"{args.tenant!r} is not a tenant code")
    try:
        scopes = parse_scopes(args.scope)
    except ScopeError as exc:
        raise CommandError(str(exc)) from exc
    if args.client_id in issuer.clients.configured:
        raise CommandError(f"{args.client_id!r} is a configured client; change it in the settings")
    store = issuer.clients.store
    assert isinstance(store, StoreClientRepository)
    secret = new_secret()
    await store.save(
        client_id=args.client_id,
        name=args.name or args.client_id,
        secret_hash=hash_secret(secret),
        tenant=args.tenant,
        allowed_scopes=" ".join(str(s) for s in scopes),
    )
    print(f"client_id     {args.client_id}")
    print(f"client_secret {secret}    (shown once; stored hashed)")


async def _clients_list(issuer: Issuer, _: Settings, __: argparse.Namespace) -> None:
    for c in await issuer.clients.list_all():
        origin = "config" if c.client_id in issuer.clients.configured else "store"
        state = " (disabled)" if c.disabled else ""
        print(f"{c.client_id:<24} {c.tenant:<12} {origin:<6} {c.name}{state}\n    {c.scope_string}")


def add_token_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = sub.add_parser("token", help="print an access token for a client of the issuer")
    token.add_argument("--client", required=True, help="client id or name")
    token.add_argument("--scope", default=None, help="a part of its allowance (default: all)")
    token.set_defaults(func=_run(_token))

    keys = sub.add_parser("keys", help="the built-in issuer's signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    rotate = keys_sub.add_parser("rotate", help="a new key signs; the others retire later")
    rotate.add_argument(
        "--overlap",
        type=float,
        default=None,
        help="seconds the previous keys stay published (≥ TTL; default TTL + leeway)",
    )
    rotate.add_argument(
        "--force", action="store_true", help="allow an overlap shorter than the TTL"
    )
    rotate.set_defaults(func=_run(_keys_rotate))
    keys_sub.add_parser("list", help="every key and its state").set_defaults(func=_run(_keys_list))

    clients = sub.add_parser("clients", help="the built-in issuer's clients")
    clients_sub = clients.add_subparsers(dest="clients_command", required=True)
    add = clients_sub.add_parser("add", help="register (or re-key) a client in the store")
    add.add_argument("client_id")
    add.add_argument("--tenant", required=True, help="home tenant code")
    add.add_argument("--scope", required=True, help="allowed scopes, space-separated")
    add.add_argument("--name", default=None)
    add.set_defaults(func=_run(_clients_add))
    clients_sub.add_parser("list", help="configured and stored clients").set_defaults(
        func=_run(_clients_list)
    )
