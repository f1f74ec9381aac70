"""`gateway documents register MANIFEST.json [--client ID]` / `gateway documents list`: trusted
documents from a front end's build (gateway/documents.py, docs/trusted-documents.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from gateway.settings import Settings

if TYPE_CHECKING:
    from connectors.store.tables import PersistedDocument
    from gateway.documents import DocumentRegistry

T = TypeVar("T")


async def _with_registry(settings: Settings, work: Callable[[DocumentRegistry], Awaitable[T]]) -> T:
    from connectors.store import async_url, create_engine, upgrade
    from connectors.store.documents import DocumentStore
    from gateway.clock import build_clock
    from gateway.documents import DocumentRegistry

    upgrade(settings.owner_database_url, sqlite_path=settings.sqlite_path)
    engine = create_engine(async_url(settings.database_url, settings.sqlite_path))
    registry = DocumentRegistry(
        DocumentStore(engine, build_clock(settings)),
        settings.redis_url,
        prefix=settings.persisted_redis_prefix,
    )
    try:
        return await work(registry)
    finally:
        await registry.aclose()
        await engine.dispose()


def _register(args: argparse.Namespace) -> None:
    from connectors.store.documents import ANY_CLIENT
    from gateway.documents import ManifestError, parse_manifest

    try:
        entries = parse_manifest(json.loads(Path(args.manifest).read_text("utf-8")))
    except (OSError, ValueError, ManifestError) as exc:
        sys.exit(f"cannot register {args.manifest}: {exc}")
    client = args.client or ANY_CLIENT

    async def work(registry: DocumentRegistry) -> int:
        return await registry.register(entries, client)

    added = asyncio.run(_with_registry(Settings(), work))
    print(f"{len(entries)} documents in the manifest, {added} newly registered for {client}")


def _list(_: argparse.Namespace) -> None:
    async def work(registry: DocumentRegistry) -> Sequence[PersistedDocument]:
        return await registry.store.list_all()

    for row in asyncio.run(_with_registry(Settings(), work)):
        name = row.operation_name or "-"
        print(f"{row.client_id}\t{row.source}\t{row.sha256}\t{name}")


def add_documents_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    documents = sub.add_parser("documents", help="trusted documents (persisted operations)")
    commands = documents.add_subparsers(dest="documents_command", required=True)
    register = commands.add_parser("register", help="register a build's operation manifest")
    register.add_argument("manifest", help="Apollo persisted-query manifest or Codegen JSON map")
    register.add_argument("--client", default=None, help="the client id (default: every client)")
    register.set_defaults(func=_register)
    listing = commands.add_parser("list", help="registered documents: client, source, hash, name")
    listing.set_defaults(func=_list)
