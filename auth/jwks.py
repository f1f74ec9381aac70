"""Verification keys of one token issuer, fetched from its JWKS and cached.

The cache keeps the keys for `ttl` seconds after a successful fetch. A token naming an unknown
`kid` triggers at most one refetch per `refetch_interval` seconds, and concurrent misses share
that one fetch, so a flood of forged `kid`s cannot turn into a flood of requests to the issuer;
a source that failed is not asked again within that interval either. It fails closed: when no
fetch has succeeded within `ttl`, there are no keys and every token is invalid, unless
`stale_if_error` allows more: then, while the source keeps failing, the last keys fetched stay
in use for up to `stale_if_error` seconds beyond `ttl` (fail static, RFC 5861's stale-if-error).
The built-in issuer's cache does that (its source is the gateway's own store: a store outage must
not turn every valid token into a 401); a request meanwhile never waits on a fetch in progress
while stale keys may still serve it. A successful fetch replaces the keys as always.

Each key is pinned to one algorithm by its type (RSA → RS256, EC P-256 → ES256). Symmetric
(`oct`) keys, encryption keys and other curves are never used, whatever the JWKS contains.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

log = logging.getLogger(__name__)

MIN_RSA_BITS = 2048
# The only algorithms a token may use; each follows from the key's type.
ALGORITHMS = frozenset({"RS256", "ES256"})


class JwksSource(Protocol):
    """Where an issuer's JWKS comes from: over HTTP (connectors.jwks) or the built-in issuer's
    own keys. Any exception means "no keys this time"."""

    async def fetch(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class VerificationKey:
    kid: str
    algorithm: str  # the one algorithm this key verifies
    key: RSAKey | ECKey


def _pinned(entry: Mapping[str, Any]) -> VerificationKey | None:
    """A public verification key from one JWK, or None when it may not verify tokens."""
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
        return None
    kty = entry.get("kty")
    key: RSAKey | ECKey
    try:
        if kty == "RSA":
            algorithm = "RS256"
            key = RSAKey.import_key({"kty": "RSA", "n": entry["n"], "e": entry["e"]})
            if key.raw_value.key_size < MIN_RSA_BITS:
                return None
        elif kty == "EC" and entry.get("crv") == "P-256":
            algorithm = "ES256"
            key = ECKey.import_key({"kty": "EC", "crv": "P-256", "x": entry["x"], "y": entry["y"]})
        else:
            return None
    except (JoseError, KeyError, TypeError, ValueError):
        return None
    if entry.get("alg", algorithm) != algorithm:
        return None
    return VerificationKey(kid, algorithm, key)


def verification_keys(document: Mapping[str, Any]) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document by `kid`; unusable entries are skipped (RFC 7517 §5)."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWKS document has a 'keys' list")
    keys: dict[str, VerificationKey] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and (key := _pinned(entry)) is not None:
            keys.setdefault(key.kid, key)
    return keys


class JwksCache:
    def __init__(
        self,
        source: JwksSource,
        *,
        ttl: float = 300.0,
        refetch_interval: float = 30.0,
        stale_if_error: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.ttl = ttl
        self.stale_if_error = stale_if_error
        self.refetch_interval = refetch_interval
        self.clock = clock
        self.fetches = 0  # fetch attempts, for tests and metrics
        self.stale_served = 0  # lookups answered from stale keys while the source failed
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # last success
        self._attempted_at: float | None = None  # last attempt, success or not
        self._refetched_at: float | None = None  # last refetch for an unknown kid
        self._generation = 0
        self._lock = asyncio.Lock()

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.ttl

    def _usable(self, now: float) -> bool:
        """Fresh, or stale within `stale_if_error` (kept only while fetching fails)."""
        return self._fetched_at is not None and now - self._fetched_at < (
            self.ttl + self.stale_if_error
        )

    async def _ensure(self) -> None:
        now = self.clock()
        if self._fresh(now):
            return
        if self._lock.locked() and self._usable(now) and self._keys:
            self.stale_served += 1  # a fetch is under way: serve what we have, do not queue
            return
        await self._refresh(unknown_kid=False)
        if not self._fresh(self.clock()) and self._keys:
            self.stale_served += 1

    def _may_fetch(self, now: float, unknown_kid: bool) -> bool:
        def waited(since: float | None) -> bool:
            return since is None or now - since >= self.refetch_interval

        failing = self._attempted_at != self._fetched_at
        if failing and not waited(self._attempted_at):
            return False  # a source that just failed is not asked again at once
        if unknown_kid:
            return waited(self._refetched_at)
        return not self._fresh(now)

    async def get(self, kid: str | None) -> VerificationKey | None:
        """The key for `kid` (a token without `kid` gets the issuer's only key, if it has one)."""
        generation = self._generation
        await self._ensure()
        key = self._lookup(kid)
        if key is None and kid is not None and self._generation == generation:
            await self._refresh(unknown_kid=True)
            key = self._lookup(kid)
        return key

    async def keys(self) -> dict[str, VerificationKey]:
        await self._ensure()
        return dict(self._keys)

    def _lookup(self, kid: str | None) -> VerificationKey | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, *, unknown_kid: bool) -> None:
        seen = self._generation
        async with self._lock:
            if self._generation != seen:
                return  # a concurrent caller fetched while this one waited: share its result
            now = self.clock()
            if not self._may_fetch(now, unknown_kid):
                if not self._usable(now):
                    self._keys = {}
                return
            self._attempted_at = now
            if unknown_kid:
                self._refetched_at = now
            self.fetches += 1
            try:
                keys = verification_keys(await self.source.fetch())
            except Exception as exc:  # any failure: nothing stale beyond `stale_if_error`
                if self._usable(now) and not self._fresh(now):
                    log.warning(
                        "JWKS fetch failed: %s; serving the last keys (fail static)",
                        type(exc).__name__,
                    )
                else:
                    log.warning("JWKS fetch failed: %s", type(exc).__name__)
                if not self._usable(now):
                    self._keys = {}
            else:
                self._keys = keys
                self._fetched_at = now
            self._generation += 1
