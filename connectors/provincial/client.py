"""The provincial platform's client.

One pooled authlib `AsyncOAuth2Client` (built on httpx2) does both jobs: it fetches the
client-credentials token on first use, renews it `token_leeway` seconds before it expires
(authlib's `ensure_active_token`), and sends the calls. When the platform still calls the token
invalid (code 4010, e.g. after a restart), the token is fetched once more and the call repeated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from connectors.client import ClientConfig, UpstreamClient
from connectors.errors import UpstreamBadResponse
from connectors.http import check_status, client_options, json_body, translated_errors
from connectors.provincial import contract as c
from connectors.provincial.records import (
    CaseReport,
    CertificateRecord,
    ProvincialCaseRecord,
    PublicityRecord,
    RetractionReport,
    ReviewScore,
    TransferReport,
)


@dataclass(frozen=True, slots=True)
class ProvincialConfig(ClientConfig):
    client_id: str
    client_secret: str = field(repr=False)
    token_path: str = "/oauth2/token"
    token_leeway: int = 60  # renew the token this many seconds before it expires


class ProvincialClient(UpstreamClient[ProvincialConfig]):
    _http: Any  # authlib's AsyncOAuth2Client (an httpx2.AsyncClient), which is not typed

    def __init__(self, config: ProvincialConfig) -> None:
        oauth = AsyncOAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            token_endpoint=config.token_path,
            grant_type="client_credentials",
            leeway=config.token_leeway,
            **client_options(config),
        )
        super().__init__(c.SOURCE, config, oauth)
        self._token_lock = asyncio.Lock()

    async def ping(self) -> None:
        """A direct request, past the breaker: readiness reports what the platform answers."""
        async with translated_errors(c.SOURCE):
            response = await self._http.request("GET", c.HEALTH_PATH, withhold_token=True)
            c.data_of(c.envelope_of(json_body(c.SOURCE, response)))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[ProvincialCaseRecord | None]:
        answers = await asyncio.gather(
            *(
                self._call(c.CASES_PATH, c.case_query(chunk), batch_size=len(chunk))
                for chunk in _chunks(numbers)
            )
        )
        found = {
            wire.ajbh: wire.to_record()
            for data in answers
            for wire in c.parse(c.CaseList, data, "cases").records
        }
        return [found.get(number) for number in numbers]

    async def cases_by_party(self, party_code: str, limit: int = 100) -> list[ProvincialCaseRecord]:
        size = min(limit, c.MAX_PAGE_SIZE)
        records: list[ProvincialCaseRecord] = []
        page = 1
        while len(records) < limit:
            query = c.party_case_query(party_code, page, size)
            data = c.parse(c.PartyCasePage, await self._call(c.PARTY_CASES_PATH, query), "cases")
            records.extend(wire.to_record() for wire in data.records)
            if len(data.records) < size or page * size >= data.total:
                break
            page += 1
        return records[:limit]

    async def certificates_by_numbers(
        self, numbers: Sequence[str]
    ) -> list[CertificateRecord | None]:
        answers = await asyncio.gather(
            *(
                self._call(c.CERTIFICATES_PATH, c.certificate_query(chunk), batch_size=len(chunk))
                for chunk in _chunks(numbers)
            )
        )
        found = {
            wire.zjh: wire.to_record()
            for data in answers
            for wire in c.parse(c.CertificateList, data, "certificates").records
        }
        return [found.get(number) for number in numbers]

    async def query(
        self, case_numbers: Sequence[str], certificate_numbers: Sequence[str]
    ) -> tuple[list[ProvincialCaseRecord | None], list[CertificateRecord | None]]:
        """Cases and certificates in one round trip (per 500 of each)."""
        empty: list[str] = []
        pairs = zip_longest(_chunks(case_numbers), _chunks(certificate_numbers), fillvalue=empty)
        answers = await asyncio.gather(
            *(
                self._call(c.COMBINED_PATH, c.combined_query(a, b), batch_size=len(a) + len(b))
                for a, b in pairs
            )
        )
        cases: dict[str, ProvincialCaseRecord] = {}
        certificates: dict[str, CertificateRecord] = {}
        for data in answers:
            result = c.parse(c.CombinedResult, data, "combined query")
            cases.update((wire.ajbh, wire.to_record()) for wire in result.aj)
            certificates.update((wire.zjh, wire.to_record()) for wire in result.zj)
        return (
            [cases.get(number) for number in case_numbers],
            [certificates.get(number) for number in certificate_numbers],
        )

    async def report_case(self, report: CaseReport, idempotency_key: str) -> None:
        body = c.CaseReportBody.from_report(report).model_dump(mode="json")
        # Repeatable: the platform records one report per Idempotency-Key.
        await self._call(c.REPORT_PATH, body, {"Idempotency-Key": idempotency_key})

    async def report_transfer(self, report: TransferReport, idempotency_key: str) -> None:
        """移送 to the platform's 行刑衔接 register; repeatable under its Idempotency-Key."""
        body = c.TransferReportBody.from_report(report).model_dump(mode="json")
        await self._call(c.TRANSFER_PATH, body, {"Idempotency-Key": idempotency_key})

    async def report_retraction(self, report: RetractionReport, idempotency_key: str) -> None:
        """公示撤回 of a withdrawn or changed decision; repeatable under its Idempotency-Key."""
        body = c.RetractionBody.from_report(report).model_dump(mode="json")
        await self._call(c.RETRACTION_PATH, body, {"Idempotency-Key": idempotency_key})

    async def report_publicity(self, record: PublicityRecord, idempotency_key: str) -> None:
        """公示报送: the case's publicity (gszt, gsrq) as the ledger holds it; repeatable under
        its Idempotency-Key."""
        body = c.PublicityReportBody.from_record(record).model_dump(mode="json")
        await self._call(c.PUBLICITY_REPORT_PATH, body, {"Idempotency-Key": idempotency_key})

    async def publicity_by_numbers(self, numbers: Sequence[str]) -> list[PublicityRecord | None]:
        answers = await asyncio.gather(
            *(
                self._call(c.PUBLICITY_PATH, c.case_query(chunk), batch_size=len(chunk))
                for chunk in _chunks(numbers)
            )
        )
        found = {
            wire.ajbh: wire.to_record()
            for data in answers
            for wire in c.parse(c.PublicityList, data, "publicity").records
        }
        return [found.get(number) for number in numbers]

    async def review_scores(self, division: str, since: date, until: date) -> list[ReviewScore]:
        query = c.review_score_query(division, since, until)
        data = await self._call(c.REVIEW_SCORES_PATH, query)
        return [wire.to_record() for wire in c.parse(c.ReviewScoreList, data, "scores").records]

    # --- one call, with its token ---------------------------------------------------------

    async def _call(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        *,
        batch_size: int | None = None,
    ) -> Any:
        """One call through the guard (`connectors/resilience.py`). Every operation of the
        platform is a query or keyed by an Idempotency-Key, so all may be repeated."""

        async def attempt(seconds: float) -> Any:
            async with translated_errors(c.SOURCE):
                envelope, sent_token = await self._post(path, body, headers, seconds)
                if envelope.code == c.INVALID_TOKEN:
                    await self._renew_token(sent_token)
                    envelope, _ = await self._post(path, body, headers, seconds)
            return c.data_of(envelope)

        return await self.guard.call(
            attempt, method="POST", route=path, idempotent=True, batch_size=batch_size
        )

    async def _post(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None,
        seconds: float,
    ) -> tuple[c.Envelope, str | None]:
        auth = await self._token_auth()
        response = await self._http.post(
            path,
            json=body,
            headers=headers,
            auth=auth,
            timeout=self._within(seconds),
        )
        envelope = c.envelope_of(json_body(c.SOURCE, response))
        return envelope, _bearer_of(response.request)

    async def _token_auth(self) -> Any:
        """The authlib request signer, holding a token that is not about to expire."""
        async with _token_errors():
            if not self._http.token:
                async with self._token_lock:
                    if not self._http.token:
                        await self._http.fetch_token()
                        self._check_token()
            else:
                await self._http.ensure_active_token(self._http.token)
                self._check_token()
        return self._http.token_auth

    async def _renew_token(self, rejected: str | None) -> None:
        async with self._token_lock:
            # Concurrent calls rejected with the same token renew it once.
            if self._access_token() == rejected:
                async with _token_errors():
                    await self._http.fetch_token()
                    self._check_token()

    def _access_token(self) -> str | None:
        token = self._http.token
        return str(token["access_token"]) if token else None

    def _check_token(self) -> None:
        token = self._http.token
        if not (
            isinstance(token.get("access_token"), str)
            and str(token.get("token_type", "bearer")).lower() == "bearer"
        ):
            self._http.token = None
            raise UpstreamBadResponse(c.SOURCE, "token endpoint: no bearer access_token")


@asynccontextmanager
async def _token_errors() -> AsyncIterator[None]:
    """authlib's failures at the token endpoint, into the UpstreamError tree."""
    try:
        yield
    except AuthlibBaseError as exc:
        raise UpstreamBadResponse(c.SOURCE, f"token request refused ({exc.error})") from exc
    except httpx2.HTTPStatusError as exc:
        check_status(c.SOURCE, exc.response)
        raise UpstreamBadResponse(c.SOURCE, "token endpoint: unexpected answer") from exc
    except ValueError as exc:
        raise UpstreamBadResponse(c.SOURCE, "token endpoint: malformed answer") from exc


def _bearer_of(request: httpx2.Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def _chunks(numbers: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), c.MAX_BATCH):
        yield unique[start : start + c.MAX_BATCH]
