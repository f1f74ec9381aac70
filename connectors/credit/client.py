"""The credit system client: one pooled HTTP client that signs every request (each attempt afresh:
new timestamp and nonce, over the exact bytes sent) and the batch calls the graph needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connectors.client import ClientConfig, UpstreamClient
from connectors.credit.contract import (
    DEFAULT_LEVELS,
    MAX_BATCH,
    SOURCE,
    CorrectionResponse,
    CreditCodesRequest,
    DecisionNumbersRequest,
    DecisionNumbersResponse,
    ErrorBody,
    HealthBody,
    PenaltiesResponse,
    PenaltyBody,
    ProfilesResponse,
    PublishResponse,
    RepairRequest,
    RetractRequest,
)
from connectors.credit.records import (
    CorrectionResult,
    CreditProfileRecord,
    CreditRepair,
    PenaltyPublicityRecord,
    PublicityRetraction,
    PublishResult,
)
from connectors.credit.signing import new_nonce, signed_headers
from connectors.errors import UpstreamBadResponse, UpstreamUnavailable
from connectors.http import HttpAnswer, HttpClient, json_body
from connectors.resilience import concurrently
from domain.clock import SystemClock
from domain.enums import CreditLevel

PROFILES_PATH = "/v2/subjects/profiles:batchGet"
PENALTIES_PATH = "/v2/penalties:query"
DECISIONS_PATH = "/v2/penalties:byDecisionNumbers"
PUBLISH_PATH = "/v2/penalties"
HEALTH_PATH = "/v2/health"
RETRACT_PATH = "/v2/penalties:retract"
REPAIR_PATH = "/v2/penalties:repair"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CreditConfig(ClientConfig):
    app_key: str
    app_secret: str = field(repr=False)
    # Credit levels differ between platforms (A-D, AAA-D, 诚信/失信 ...): map the wire's.
    levels: Mapping[str, CreditLevel] = field(default_factory=lambda: DEFAULT_LEVELS)


class PublicationRejected(UpstreamBadResponse):
    """The credit system refused a 双公示 record; `missing`/`invalid` name its `cf_*` fields."""

    def __init__(self, missing: Sequence[str], invalid: Sequence[str]) -> None:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if invalid:
            parts.append("invalid " + ", ".join(invalid))
        super().__init__(SOURCE, "publication rejected: " + "; ".join(parts or ["no reason"]))
        self.missing = tuple(missing)
        self.invalid = tuple(invalid)


def _signer(
    app_key: str, app_secret: str, clock: Callable[[], float], nonce: Callable[[], str]
) -> Callable[[str, str, bytes], dict[str, str]]:
    def sign(method: str, path_with_query: str, body: bytes) -> dict[str, str]:
        return signed_headers(
            app_key, app_secret, method, path_with_query, body, clock=clock, nonce=nonce
        )

    return sign


def _key(code: str) -> str:
    return code.strip().upper()


def _unique(keys: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    shown = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:3])
    return shown + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")


def _error_code(response: HttpAnswer) -> str:
    try:
        return ErrorBody.model_validate(response.json()).error_code
    except (ValueError, ValidationError):
        return ""


class CreditClient(UpstreamClient[CreditConfig]):
    def __init__(
        self,
        config: CreditConfig,
        *,
        # Wall time, whatever day the product's clock is on: the credit system checks
        # X-Timestamp against its own clock (a transport matter, like TLS).
        clock: Callable[[], float] = SystemClock().timestamp,
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        http = HttpClient(
            SOURCE,
            config,
            headers={"Accept": "application/json"},
            sign=_signer(config.app_key, config.app_secret, clock, nonce),
        )
        super().__init__(SOURCE, config, http)

    async def profiles_by_codes(self, codes: Sequence[str]) -> list[CreditProfileRecord | None]:
        keys = _unique([_key(c) for c in codes])
        answers = await self._batched(
            PROFILES_PATH,
            keys,
            lambda chunk: CreditCodesRequest(credit_codes=chunk),
            ProfilesResponse,
        )
        found = {
            _key(p.credit_code): p.to_record(self.config.levels)
            for answer in answers
            for p in answer.profiles
        }
        return [found.get(_key(c)) for c in codes]

    async def penalties_by_subjects(
        self, codes: Sequence[str]
    ) -> list[list[PenaltyPublicityRecord]]:
        keys = _unique([_key(c) for c in codes])
        answers = await self._batched(
            PENALTIES_PATH,
            keys,
            lambda chunk: CreditCodesRequest(credit_codes=chunk),
            PenaltiesResponse,
        )
        found: dict[str, list[PenaltyPublicityRecord]] = {}
        for answer in answers:
            for result in answer.results:
                found.setdefault(_key(result.credit_code), []).extend(
                    body.to_record() for body in result.records
                )
        return [list(found.get(_key(c), ())) for c in codes]

    async def penalties_by_decision_numbers(
        self, numbers: Sequence[str]
    ) -> list[PenaltyPublicityRecord | None]:
        keys = _unique([n.strip() for n in numbers])
        answers = await self._batched(
            DECISIONS_PATH,
            keys,
            lambda chunk: DecisionNumbersRequest(decision_numbers=chunk),
            DecisionNumbersResponse,
        )
        found: dict[str, PenaltyPublicityRecord] = {}
        for answer in answers:
            for body in answer.records:
                found.setdefault(body.decision_number.strip(), body.to_record())
        return [found.get(n.strip()) for n in numbers]

    async def publish_penalty(self, record: PenaltyPublicityRecord) -> PublishResult:
        # Repeatable: the credit system keeps one record per decision number and issuing body.
        answer = await self._post(PUBLISH_PATH, PenaltyBody.from_record(record), PublishResponse)
        return PublishResult(answer.record_id, answer.created, answer.updated)

    async def retract_penalty(self, retraction: PublicityRetraction) -> CorrectionResult:
        """撤回公示 (art. 48). Repeatable: a record retracted already answers `changed=False`."""
        answer = await self._post(RETRACT_PATH, RetractRequest.of(retraction), CorrectionResponse)
        return CorrectionResult(answer.record_id, answer.changed)

    async def repair_penalty(self, repair: CreditRepair) -> CorrectionResult:
        """信用修复: the record's publicity ends. Repeatable like a retraction."""
        answer = await self._post(REPAIR_PATH, RepairRequest.of(repair), CorrectionResponse)
        return CorrectionResult(answer.record_id, answer.changed)

    async def ping(self) -> None:
        """A direct request, past the breaker: readiness reports what the system answers."""
        response = await self._http.request("GET", HEALTH_PATH)
        health = self._parse(HEALTH_PATH, response, HealthBody)
        if health.status != "UP":
            raise UpstreamUnavailable(SOURCE, f"health status {health.status!r}")

    async def _batched(
        self, path: str, keys: list[str], request: Callable[[list[str]], BaseModel], model: type[M]
    ) -> list[M]:
        # The upstream caps a batch at MAX_BATCH keys; bigger batches go out concurrently.
        chunks = [keys[i : i + MAX_BATCH] for i in range(0, len(keys), MAX_BATCH)]
        return await concurrently(
            self._post(path, request(c), model, batch_size=len(c)) for c in chunks
        )

    async def _post(
        self, path: str, payload: BaseModel, model: type[M], *, batch_size: int | None = None
    ) -> M:
        """One call through the guard (`connectors/resilience.py`). Every call of the credit
        system is a query or an idempotent publication, so all may be repeated; each attempt is
        signed afresh (new timestamp and nonce)."""
        body: dict[str, Any] = payload.model_dump(mode="json", by_alias=True)

        async def attempt() -> M:
            response = await self._http.request("POST", path, json=body)
            return self._parse(path, response, model)

        return await self.guard.call(
            attempt, method="POST", route=path, idempotent=True, batch_size=batch_size
        )

    def _parse(self, path: str, response: HttpAnswer, model: type[M]) -> M:
        if response.status_code == 422 and path == PUBLISH_PATH:
            self._raise_rejection(response)
        if 400 <= response.status_code < 500:
            code = _error_code(response)
            raise UpstreamBadResponse(
                SOURCE, f"{path}: HTTP {response.status_code}" + (f" {code}" if code else "")
            )
        data = json_body(SOURCE, response)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise UpstreamBadResponse(SOURCE, f"{path}: {_describe(exc)}") from exc

    def _raise_rejection(self, response: HttpAnswer) -> None:
        try:
            error = ErrorBody.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise UpstreamBadResponse(SOURCE, f"{PUBLISH_PATH}: HTTP 422") from exc
        raise PublicationRejected(error.missing, [f.field for f in error.invalid])
