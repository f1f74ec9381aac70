"""Signing keys of the built-in issuer: generated with joserfc, kept in the store, rotated with
an overlap window.

The newest key that has not retired signs. Every key not yet retired is published in the JWKS,
so tokens an older key signed keep validating until it retires; `rotate` adds a key that signs
from now on and schedules the others to retire after the overlap (at least the token TTL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from joserfc.jwk import ECKey, RSAKey

from auth.issuer.ports import KeyRepository, SigningKeyRecord

SIGNING_ALGORITHMS = ("RS256", "ES256")


def generate_key(algorithm: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A new key pair for `algorithm`: (kid, private JWK, public JWK). The kid is the RFC 7638
    thumbprint."""
    parameters: Any = {"alg": algorithm, "use": "sig"}
    key: RSAKey | ECKey
    if algorithm == "RS256":
        key = RSAKey.generate_key(2048, parameters=parameters, auto_kid=True)
    elif algorithm == "ES256":
        key = ECKey.generate_key("P-256", parameters=parameters, auto_kid=True)
    else:
        raise ValueError(f"signing algorithm must be one of {SIGNING_ALGORITHMS}")
    assert key.kid is not None
    return key.kid, dict(key.as_dict(private=True)), dict(key.as_dict(private=False))


def private_key(record: SigningKeyRecord) -> RSAKey | ECKey:
    if record.algorithm == "RS256":
        return RSAKey.import_key(record.private_jwk)
    if record.algorithm == "ES256":
        return ECKey.import_key(record.private_jwk)
    raise ValueError(f"signing key {record.kid}: unknown algorithm {record.algorithm!r}")


def public_key(record: SigningKeyRecord) -> RSAKey | ECKey:
    if record.algorithm == "RS256":
        return RSAKey.import_key(record.public_jwk)
    if record.algorithm == "ES256":
        return ECKey.import_key(record.public_jwk)
    raise ValueError(f"signing key {record.kid}: unknown algorithm {record.algorithm!r}")


def is_published(record: SigningKeyRecord, now: datetime) -> bool:
    return record.retires_at is None or record.retires_at > now


def published(records: Sequence[SigningKeyRecord], now: datetime) -> list[SigningKeyRecord]:
    """Keys not yet retired, newest first."""
    keys = [r for r in records if is_published(r, now)]
    return sorted(keys, key=lambda r: (r.created_at, r.kid), reverse=True)


def signing(records: Sequence[SigningKeyRecord], now: datetime) -> SigningKeyRecord | None:
    """The key that signs now: the newest one created and not retired."""
    return next((r for r in published(records, now) if r.created_at <= now), None)


def jwks(records: Sequence[SigningKeyRecord], now: datetime) -> dict[str, Any]:
    """The public JWKS: public parts only, with kid, alg and use."""
    return {
        "keys": [
            {**r.public_jwk, "kid": r.kid, "alg": r.algorithm, "use": "sig"}
            for r in published(records, now)
        ]
    }


async def add_key(
    repository: KeyRepository, algorithm: str, now: datetime, retire_others_at: datetime | None
) -> str:
    kid, private_jwk, public_jwk = generate_key(algorithm)
    await repository.add_key(
        kid=kid,
        algorithm=algorithm,
        private_jwk=private_jwk,
        public_jwk=public_jwk,
        created_at=now,
        retire_others_at=retire_others_at,
    )
    return kid
