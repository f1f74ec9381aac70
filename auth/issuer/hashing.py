"""Client secrets at rest: SHA-256, compared in constant time (issue 10, item 8).

Every secret the issuer hands out is 256 bits from `secrets` (`new_secret`): nobody can search
that space, so a slow hash buys nothing and costs a scrypt (~16 MiB, tens of ms) on every wrong
guess, which let 11 wrong secrets a second slow every other tenant down. A fast hash with no key
is the right tool: no server key to manage, rotate or lose, and a stolen table still yields
nothing but 256-bit preimages. Stored as `sha256:<digest>` (base64url, no padding): the colon
survives JSON, environment variables and `.env` files unquoted.

Hashes written before this are `scrypt:<n>:<r>:<p>:<salt>:<digest>`: still verified, and
`needs_rehash` tells the token endpoint to replace one with the fast hash the first time its
secret is presented correctly (`ClientDirectory.rehash`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets

SCHEME = "sha256"
LEGACY = "scrypt"
N, R, P = 2**14, 8, 1  # the legacy scrypt parameters (~16 MiB and a few tens of ms per check)
DIGEST_BYTES = 32
SALT_BYTES = 16
_MAX_MEMORY = 2**27  # refuse hashes that would make one check a denial of service


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DIGEST_BYTES, maxmem=2 * _MAX_MEMORY
    )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _sha256(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def hash_secret(secret: str) -> str:
    return f"{SCHEME}:{_b64(_sha256(secret))}"


def legacy_hash_secret(secret: str) -> str:
    """The scrypt hash stored before SHA-256 (kept for tests of the migration)."""
    salt = os.urandom(SALT_BYTES)
    return ":".join(
        [LEGACY, str(N), str(R), str(P), _b64(salt), _b64(_scrypt(secret, salt, N, R, P))]
    )


def is_secret_hash(value: str) -> bool:
    try:
        _parse_fast(value) if value.startswith(SCHEME + ":") else _parse(value)
    except ValueError:
        return False
    return True


def needs_rehash(encoded: str) -> bool:
    return encoded.startswith(LEGACY + ":")


def _parse_fast(encoded: str) -> bytes:
    parts = encoded.split(":")
    if len(parts) != 2 or parts[0] != SCHEME:
        raise ValueError("not a sha256 secret hash")
    digest = _unb64(parts[1])
    if len(digest) != DIGEST_BYTES:
        raise ValueError("not a sha256 secret hash")
    return digest


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split(":")
    if len(parts) != 6 or parts[0] != LEGACY:
        raise ValueError("not a scrypt secret hash")
    n, r, p = (int(x) for x in parts[1:4])
    if not (n > 1 and n & (n - 1) == 0 and r > 0 and 0 < p <= 16 and 128 * r * n <= _MAX_MEMORY):
        raise ValueError("scrypt parameters out of range")
    salt, digest = _unb64(parts[4]), _unb64(parts[5])
    if len(digest) != DIGEST_BYTES or not salt:
        raise ValueError("not a scrypt secret hash")
    return n, r, p, salt, digest


def verify_secret(secret: str, encoded: str) -> bool:
    if encoded.startswith(SCHEME + ":"):
        try:
            expected = _parse_fast(encoded)
        except ValueError:
            return False
        return hmac.compare_digest(_sha256(secret), expected)
    try:
        n, r, p, salt, expected = _parse(encoded)
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), expected)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the client is unknown, so that an unknown client id and a wrong
    secret cost the same time."""
    return hash_secret(new_secret())
