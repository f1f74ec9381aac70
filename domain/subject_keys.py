"""Stable opaque keys for natural persons (issue 11, item 4).

A partner's graph joins on a person as on an organisation, but a person's ID number is personal
data, masked without `pii:read`, and a masked number cannot be resolved back. A natural person is
therefore keyed by `P-` and a keyed hash (HMAC-SHA256 under `GATEWAY_SUBJECT_KEY_SECRET`) of the
ID number: the same person always gets the same key, on every replica and for every caller, and
without the secret the key reveals nothing and cannot be computed from a candidate number (so it
is no lookup oracle). Legal persons and individual businesses keep their public credit code.

The store keeps each person's key beside the row (`party.subject_key`, migration 0016), with the
id of the secret that computed it (`subject_key_id`), so a key resolves by index; rows keyed under
another secret (after a rotation) are keyed again by the gateway (`PersonKeys.key_id` differs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

PERSON_KEY_PREFIX = "P-"
_DIGEST_BYTES = 20  # 160 bits: collisions and guessing are out of reach


def person_key(secret: bytes, id_number: str) -> str:
    digest = hmac.new(secret, id_number.strip().upper().encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:_DIGEST_BYTES]).decode("ascii").rstrip("=").lower()
    return PERSON_KEY_PREFIX + text


def is_person_key(text: str) -> bool:
    return (
        text.startswith(PERSON_KEY_PREFIX)
        and len(text) == len(PERSON_KEY_PREFIX) + 32
        and all(c in "abcdefghijklmnopqrstuvwxyz234567" for c in text[len(PERSON_KEY_PREFIX) :])
    )


@dataclass(frozen=True, slots=True)
class PersonKeys:
    """The person keys of one secret, and the secret's public id (a keyed hash of a constant:
    it tells two secrets apart and reveals neither)."""

    secret: bytes = field(repr=False)

    def key(self, id_number: str) -> str:
        return person_key(self.secret, id_number)

    @property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"subject key id", hashlib.sha256).hexdigest()[:16]
