"""Rate limits per client and per tenant, after authentication has put the principal in
`scope["user"]`. A refused request answers HTTP 429 with `Retry-After` and a `RATE_LIMITED`
GraphQL error; callers without a principal share a bucket per address."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.ratelimit import RateLimiter, buckets_for
from gateway.refusals import Refusals, refusal
from schemas.codes import Code

CODE = Code.RATE_LIMITED


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
        self.limiter = limiter
        self.per_client = per_client
        self.per_tenant = per_tenant
        self.prefix = prefix
        self.refusals = refusals
        self.exempt = frozenset(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        principal = scope.get("user")
        client = scope.get("client")
        buckets = buckets_for(
            self.prefix,
            getattr(principal, "client_id", None),
            getattr(principal, "tenant", None),
            client[0] if client else None,
            self.per_client,
            self.per_tenant,
        )
        decision = await self.limiter.acquire(buckets) if buckets else None
        if decision is None or decision.allowed or decision.bucket is None:
            await self.app(scope, receive, send)
            return
        bucket, seconds = decision.bucket, decision.retry_after_seconds
        if self.refusals is not None:
            self.refusals.add(CODE, bucket.scope)
        response = refusal(
            scope,
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
        await response(scope, receive, send)
