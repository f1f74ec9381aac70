"""Electronic signatures of key documents (立案审批表, 处罚决定书; issue 14, item 4).

A document is canonical JSON naming the signing person; its signature is a detached JWS
(RFC 7515 appendix F: `header..signature`, the payload left out) made with the built-in issuer's
current signing key (joserfc, authlib's JOSE library), so the issuer's published JWKS lets anyone
check it offline. `verify` finds the key by the header's `kid` among every key the store keeps
(retired ones too: a decision signed years ago stays verifiable), re-attaches the document and
checks the signature; together with the SHA-256 kept beside it, a changed document, hash or
signature reads as not valid.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from auth.issuer import keys
from auth.issuer.ports import KeyRepository, SigningKeyRecord

DOCUMENT_TYPE = "signed-document+jws"


class DocumentSignatures:
    """Signs with the issuer's current key (created on first use, as the issuer does) and
    verifies against every key the store keeps."""

    def __init__(
        self, repository: KeyRepository, algorithm: str, clock: Callable[[], float]
    ) -> None:
        self.repository = repository
        self.algorithm = algorithm
        self.clock = clock
        self._signing: tuple[SigningKeyRecord, Any] | None = None
        self._public: dict[str, Any] = {}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def ready(self) -> None:
        """Load the key that signs now (outside any transaction; the first one is created)."""
        now = self._now()
        current = keys.signing(await self.repository.list_keys(), now)
        if current is None:
            await keys.add_key(self.repository, self.algorithm, now, retire_others_at=None)
            current = keys.signing(await self.repository.list_keys(), now)
        assert current is not None
        if self._signing is None or self._signing[0].kid != current.kid:
            self._signing = (current, keys.private_key(current))

    def sign(self, document: bytes) -> str:
        """The detached compact JWS of `document` (after `ready`)."""
        if self._signing is None:
            raise RuntimeError("DocumentSignatures.sign before ready()")
        record, private = self._signing
        header = {"alg": record.algorithm, "kid": record.kid, "typ": DOCUMENT_TYPE}
        value = jws.serialize_compact(header, document, private, algorithms=[record.algorithm])
        return str(jws.detach_content(value))

    async def verify(self, document: bytes, signature: str) -> bool:
        """Whether `signature` is a valid detached JWS of `document` by one of the keys."""
        try:
            head = signature.split(".", 1)[0]
            header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            key = await self._key(str(header["kid"]))
            if key is None:
                return False
            jws.deserialize_compact(
                signature, key, algorithms=[str(header["alg"])], payload=document
            )
        except (JoseError, ValueError, KeyError, TypeError):
            return False
        return True

    async def _key(self, kid: str) -> Any:
        if kid not in self._public:
            for record in await self.repository.list_keys():
                if record.kid == kid:
                    self._public[kid] = keys.public_key(record)
        return self._public.get(kid)
