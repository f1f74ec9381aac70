"""The provincial platform's client.

One pooled `HttpClient` (connectors/http.py) sends the calls; a `ClientCredentials` (connectors/http.py) holds the
client-credentials token: fetched on first use, renewed `token_leeway` seconds before it expires,
a cached string on the hot path (an OAuth client object per call cost more CPU than the call).
When the platform still calls the token invalid (code 4010, e.g. after a restart), the token is
fetched once more and the call repeated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from typing import Any

from connectors.client import ClientConfig, UpstreamClient
from connectors.http import ClientCredentials, HttpClient, json_body
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
from connectors.resilience import concurrently


@dataclass(frozen=True, slots=True)
class ProvincialConfig(ClientConfig):
    client_id: str
    client_secret: str = field(repr=False)
    token_path: str = "/oauth2/token"
    token_leeway: int = 60  # renew the token this many seconds before it expires


class ProvincialClient(UpstreamClient[ProvincialConfig]):
    def __init__(self, config: ProvincialConfig) -> None:
        super().__init__(c.SOURCE, config, HttpClient(c.SOURCE, config))
        self._credentials = ClientCredentials(
            c.SOURCE,
            config.client_id,
            config.client_secret,
            config.token_path,
            leeway=config.token_leeway,
        )

    async def ping(self) -> None:
        """A direct request, past the breaker: readiness reports what the platform answers."""
        response = await self._http.request("GET", c.HEALTH_PATH)
        c.data_of(c.envelope_of(json_body(c.SOURCE, response)))

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[ProvincialCaseRecord | None]:
        answers = await concurrently(
            self._call(c.CASES_PATH, c.case_query(chunk), batch_size=len(chunk))
            for chunk in _chunks(numbers)
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
        answers = await concurrently(
            self._call(c.CERTIFICATES_PATH, c.certificate_query(chunk), batch_size=len(chunk))
            for chunk in _chunks(numbers)
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
        answers = await concurrently(
            (
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
        answers = await concurrently(
            self._call(c.PUBLICITY_PATH, c.case_query(chunk), batch_size=len(chunk))
            for chunk in _chunks(numbers)
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

        async def attempt() -> Any:
            envelope, sent_token = await self._post(path, body, headers)
            if envelope.code == c.INVALID_TOKEN:
                await self._credentials.renew(self._http, sent_token)
                envelope, _ = await self._post(path, body, headers)
            return c.data_of(envelope)

        return await self.guard.call(
            attempt, method="POST", route=path, idempotent=True, batch_size=batch_size
        )

    async def _post(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None,
    ) -> tuple[c.Envelope, str]:
        token = await self._credentials.bearer(self._http)
        response = await self._http.request(
            "POST",
            path,
            json=body,
            headers={**(headers or {}), "Authorization": f"Bearer {token}"},
        )
        return c.envelope_of(json_body(c.SOURCE, response)), token


def _chunks(numbers: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), c.MAX_BATCH):
        yield unique[start : start + c.MAX_BATCH]
