"""HMAC-SHA256 request signing for the credit system (pure: no I/O, clock and nonce injectable).

canonical = METHOD \\n path?query \\n timestamp \\n nonce \\n sha256_hex(body)
signature = lowercase hex HMAC-SHA256(app secret, canonical)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from domain.clock import SystemClock

APP_KEY_HEADER = "X-App-Key"
TIMESTAMP_HEADER = "X-Timestamp"
NONCE_HEADER = "X-Nonce"
SIGNATURE_HEADER = "X-Signature"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_string(
    method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, body_digest(body)])


def signature(app_secret: str, canonical: str) -> str:
    return hmac.new(app_secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def signed_headers(
    app_key: str,
    app_secret: str,
    method: str,
    path_with_query: str,
    body: bytes,
    *,
    clock: Callable[[], float] = SystemClock().timestamp,  # wall time: see CreditClient
    nonce: Callable[[], str] = new_nonce,
) -> dict[str, str]:
    timestamp = str(int(clock()))
    once = nonce()
    canonical = canonical_string(method, path_with_query, timestamp, once, body)
    return {
        APP_KEY_HEADER: app_key,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: once,
        SIGNATURE_HEADER: signature(app_secret, canonical),
    }
