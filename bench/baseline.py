"""The hand-written Starlette endpoint P3 compares against: the same case-detail data as the P1
query, from the same store and the same connector clients, with no GraphQL in between; the same
token validation (the gateway's validator, the caller's tenant filter on the store reads); and the
same access record (one audit event per request, through the same audit log), since the gateway
writes one for every operation."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth.policy import tenant_filter
from auth.tokens import InvalidToken
from connectors.store import AuditEntry
from gateway.services import build_services
from gateway.settings import Settings
from gateway.tokens import build_token_services


def create_baseline(settings: Settings) -> Starlette:
    services = build_services(settings)
    tokens = build_token_services(settings, services.store.engine, services.clock)

    async def case_detail(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise InvalidToken("no bearer token")
            principal = await tokens.validator.validate(token)
        except InvalidToken:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        everyone = tenant_filter(principal, "case", "read")
        number = request.path_params["number"]
        (case,) = await services.store.cases_by_numbers(everyone, [number])
        if case is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        (officers,) = await services.store.officers_by_case_numbers(everyone, [number])
        certs = [o.certificate_no for o in officers if o.certificate_no]
        (profile,), event, (provincial, certificates) = await asyncio.gather(
            services.credit.profiles_by_codes([case.party_code]),
            services.smartcity.events_by_ids([case.source_event_id])
            if case.source_event_id
            else _none(),
            services.provincial.query([number], certs),
        )
        body: dict[str, Any] = {
            "number": case.number,
            "title": case.title,
            "status": case.status,
            "credit": profile.level.value if profile else None,
            "event": event[0].status.value if event and event[0] else None,
            "supervision": provincial[0].status.value if provincial[0] else None,
            "officers": [
                {"name": o.name, "certificate": c.status.value if c else None}
                for o, c in zip(
                    [o for o in officers if o.certificate_no], certificates, strict=True
                )
            ],
        }
        await services.store.audit.submit(
            AuditEntry(
                at=services.clock.now(),
                tenant=principal.tenant,
                principal=principal.subject,
                client_id=principal.client_id,
                operation_name="case_detail",
                document_hash=hashlib.sha256(request.url.path.encode()).hexdigest(),
                records=[f"Case:{case.number}", *(f"Officer:{o.id}" for o in officers)],
                outcome="ok",
                trace_id=None,
            )
        )
        return JSONResponse(body)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await tokens.warm()
        yield
        await tokens.aclose()

    return Starlette(routes=[Route("/case/{number:path}", case_detail)], lifespan=lifespan)


async def _none() -> None:
    return None


def main() -> None:
    settings = Settings()
    uvicorn.run(
        create_baseline(settings), host=settings.host, port=settings.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
