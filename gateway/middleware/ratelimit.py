"""Rate limits per client and per tenant, after authentication has put the principal in
`scope["user"]`. A refused request answers HTTP 429 with `Retry-After` and a `RATE_LIMITED`
GraphQL error; callers without a principal share a bucket per address. `RateGate` decides; the
websocket (gateway/websocket.py) asks the same gate for every operation it is sent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from auth.principal import Principal
from gateway.ratelimit import RateLimiter, buckets_for
from gateway.refusals import Refusals, Refused
from schemas.codes import Code

CODE = Code.RATE_LIMITED


@dataclass(frozen=True)
class RateGate:
    limiter: RateLimiter
    per_client: int
    per_tenant: int
    prefix: str = "gateway:ratelimit"
    refusals: Refusals | None = None

    async def check(self, principal: Principal | None, address: str | None) -> Refused | None:
        """Take one token from the caller's buckets, or the refusal (429) when one is empty."""
        buckets = buckets_for(
            self.prefix,
            getattr(principal, "client_id", None),
            getattr(principal, "tenant", None),
            address,
            self.per_client,
            self.per_tenant,
        )
        decision = await self.limiter.acquire(buckets) if buckets else None
        if decision is None or decision.allowed or decision.bucket is None:
            return None
        bucket, seconds = decision.bucket, decision.retry_after_seconds
        if self.refusals is not None:
            self.refusals.add(CODE, bucket.scope)
        return Refused(
            429,
            f"请求过于频繁 / more than {bucket.per_minute} requests per minute for this "
            f"{bucket.scope}; retry after {seconds} s",
            {
                "code": CODE,
                "scope": bucket.scope,
                "limit": bucket.per_minute,
                "retryAfter": seconds,
            },
            {"Retry-After": str(seconds)},
        )


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        per_client: int,
        per_tenant: int,
        prefix: str = "gateway:ratelimit",
        refusals: Refusals | None = None,
        exempt: Collection[str] = ("/healthz", "/readyz", "/metrics"),
    ) -> None:
        self.app = app
        self.gate = RateGate(limiter, per_client, per_tenant, prefix, refusals)
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        refused = await self.gate.check(scope.get("user"), client[0] if client else None)
        if refused is None:
            await self.app(scope, receive, send)
            return
        await refused.response(scope)(scope, receive, send)
