"""Trusted documents: the registry the persisted-operation endpoint reads (gateway/persisted.py).

A document is known by the SHA-256 of its text. It is *trusted* for a client when a build
manifest registered it for that client (or for every client, `*`); automatic persisted queries
(APQ) store documents too, but never make them trusted. Lookups go through a small in-process
LRU, then Redis when `REDIS_URL` is set (shared by the replicas), then the store.

Manifests are the build artifacts front ends already produce:
- Apollo Client (`@apollo/generate-persisted-query-manifest`):
  `{"format": "apollo-persisted-query-manifest", "version": 1,
    "operations": [{"id": "<sha256>", "body": "...", "name": "...", "type": "query"}]}`
- GraphQL Codegen's client preset (`persistedDocuments: true`): `{"<sha256>": "<document>"}`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from connectors.store.documents import ANY_CLIENT, MANIFEST, DocumentEntry, DocumentStore

LOCAL_TTL = 30.0  # seconds: a registration made on another replica shows here within this
SHA256 = re.compile(r"[0-9a-f]{64}")  # as `sha256_of` writes it: any other id names nothing


class ManifestError(ValueError):
    """A manifest that is not one of the known formats, or whose hashes do not match."""


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def parse_manifest(data: object) -> list[DocumentEntry]:
    """The entries of an Apollo Client or GraphQL Codegen manifest, each hash checked."""
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        if data.get("version") != 1:
            raise ManifestError(f"unsupported manifest version {data.get('version')!r}")
        raw = [(op.get("id"), op.get("body"), op.get("name")) for op in data.get("operations", [])]
    elif isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        raw = [(key, document, None) for key, document in data.items()]
    else:
        raise ManifestError("not an Apollo persisted-query manifest nor a Codegen document map")
    entries = []
    for key, document, name in raw:
        if not isinstance(key, str) or not isinstance(document, str):
            raise ManifestError("every operation needs a string id and body")
        key = key.removeprefix("sha256:")
        if sha256_of(document) != key:
            raise ManifestError(f"{key} is not the SHA-256 of its document")
        entries.append(DocumentEntry(key, document, name))
    return entries


@dataclass(frozen=True)
class Known:
    """A document and who may run it as a trusted one (`*`: every client)."""

    document: str
    trusted_for: frozenset[str]

    def trusted(self, client_id: str) -> bool:
        return ANY_CLIENT in self.trusted_for or client_id in self.trusted_for

    def dumps(self) -> str:
        return json.dumps({"document": self.document, "trusted_for": sorted(self.trusted_for)})

    @classmethod
    def loads(cls, text: str | bytes) -> Known:
        data = json.loads(text)
        return cls(data["document"], frozenset(data["trusted_for"]))


class DocumentRegistry:
    def __init__(
        self,
        store: DocumentStore,
        redis_url: str | None = None,
        *,
        prefix: str = "gateway:documents",
        cache_size: int = 1024,
        cache_ttl: int = 3600,
        apq_max_documents: int = 10_000,
    ) -> None:
        self.store = store
        self.apq_max_documents = apq_max_documents
        self.redis = Redis.from_url(redis_url) if redis_url else None
        self.prefix = prefix
        self.cache_size = cache_size
        self.cache_ttl = cache_ttl
        self._local: OrderedDict[str, tuple[float, Known]] = OrderedDict()

    async def lookup(self, sha256: str) -> Known | None:
        if not SHA256.fullmatch(sha256):
            return None  # never asked of the store (PostgreSQL refuses a NUL in text)
        known = self._local_get(sha256)
        if known is not None:
            return known
        if self.redis is not None:
            try:
                cached = await self.redis.get(self._key(sha256))
            except RedisError:
                cached = None  # the store still answers
            if cached is not None:
                known = Known.loads(cached)
                self._local_put(sha256, known)
                return known
        rows = await self.store.find(sha256)
        if not rows:
            return None
        known = Known(
            rows[0].document, frozenset(r.client_id for r in rows if r.source == MANIFEST)
        )
        await self._share(sha256, known)
        return known

    async def register(self, entries: list[DocumentEntry], client_id: str = ANY_CLIENT) -> int:
        added = await self.store.register(entries, client_id, MANIFEST)
        for entry in entries:
            await self._forget(entry.sha256)
        return added

    async def remember(self, document: str) -> str:
        """Store a document sent through APQ (not trusted for anyone), within the bound on APQ
        documents (the oldest are evicted); its hash."""
        sha256 = sha256_of(document)
        await self.store.remember(DocumentEntry(sha256, document), self.apq_max_documents)
        await self._forget(sha256)
        return sha256

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}:{sha256}"

    def _local_get(self, sha256: str) -> Known | None:
        hit = self._local.get(sha256)
        if hit is None or hit[0] < time.monotonic():
            return None
        self._local.move_to_end(sha256)
        return hit[1]

    def _local_put(self, sha256: str, known: Known) -> None:
        if self.cache_size <= 0:
            return
        self._local[sha256] = (time.monotonic() + LOCAL_TTL, known)
        self._local.move_to_end(sha256)
        while len(self._local) > self.cache_size:
            self._local.popitem(last=False)

    async def _share(self, sha256: str, known: Known) -> None:
        self._local_put(sha256, known)
        if self.redis is not None:
            with contextlib.suppress(RedisError):
                await self.redis.set(self._key(sha256), known.dumps(), ex=self.cache_ttl)

    async def _forget(self, sha256: str) -> None:
        self._local.pop(sha256, None)
        if self.redis is not None:
            with contextlib.suppress(RedisError):
                await self.redis.delete(self._key(sha256))
