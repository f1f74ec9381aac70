"""The Starlette app factory: routes, middleware and lifespan assembled declaratively."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from auth.middleware import AuthenticationMiddleware
from auth.principal import development_principal
from domain.clock import Clock
from gateway.exports import SupervisionExport
from gateway.graphql import GraphQLEndpoint
from gateway.hardening import document_limits
from gateway.health import healthz, readyz_endpoint
from gateway.ide import assets_mount
from gateway.metrics import metrics_endpoint, register_document_caches
from gateway.middleware.admission import Admission, AdmissionMiddleware, default_limit
from gateway.middleware.body_limit import BodySizeLimitMiddleware
from gateway.middleware.csrf import CSRFGuardMiddleware
from gateway.middleware.deadline import DeadlineMiddleware
from gateway.middleware.metrics import MetricsMiddleware
from gateway.middleware.ratelimit import RateGate, RateLimitMiddleware
from gateway.middleware.request_id import RequestIdMiddleware
from gateway.middleware.tracing import TracingMiddleware
from gateway.persisted import build_persisted
from gateway.ratelimit import build_rate_limiter
from gateway.refusals import Refusals
from gateway.relay import build_relay, running_relay
from gateway.routing import HTTPAndWebSocketRoute
from gateway.services import (
    RelayClients,
    build_services,
    close_services,
    key_persons,
    relay_clients,
)
from gateway.settings import Settings
from gateway.telemetry import setup_telemetry
from gateway.tokens import build_token_services
from schemas.context import Limits, Services
from schemas.schema import build_schema

# After the request deadline, the time a request has to assemble its partial answer before its
# work is cancelled (gateway/middleware/admission.py).
DEADLINE_GRACE = 0.5


def create_app(
    settings: Settings, services: Services | None = None, *, clock: Clock | None = None
) -> Starlette:
    """Build the gateway. Pass `services` to share connector clients (tests, bench); otherwise
    they are created from the settings and closed on shutdown. The one clock of the product
    (`services.clock`: `clock`, else the wall clock or `GATEWAY_TODAY`) reaches everything that
    needs time: the store's writers, the relay, deadlines and statistics, tokens, metrics. The
    in-process outbox relay is built here, and every use case's commit wakes it
    (`services.hooks`)."""
    owned = services is None
    services = services or build_services(settings, clock)
    setup_telemetry(settings, services)
    register_document_caches(settings.document_cache_size)
    tokens = build_token_services(settings, services.store.engine, services.clock)
    limits = Limits(
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
        loader_hops=settings.loader_dispatch_hops,
        websocket_operations=settings.websocket_operations,
    )
    refusals = Refusals()  # hardening (docs/hardening.md): counted for the metrics endpoint
    # load shedding (gateway/middleware/admission.py): the bound on operations in flight
    admission = Admission(settings.max_in_flight or default_limit(settings.worker_count))
    rate_limiter = build_rate_limiter(settings.redis_url)
    relay = None
    outbox_clients: RelayClients | None = None
    if settings.relay_enabled:  # the outbox; a commit that queued messages wakes it at once
        # Its own clients and breakers: its retries never open the live reads' breakers.
        outbox_clients = relay_clients(services)
        relay = build_relay(
            settings,
            services.store.engine,
            services.clock,
            outbox_clients.provincial,
            outbox_clients.credit,
            outbox_clients.smartcity,
        )
        services.hooks.on_outbox(relay.wake)
    schema = build_schema(
        settings.document_cache_size,
        document_limits(settings),
        settings.max_batch_operations,
        open_sdl=settings.demo,  # federation `_service` without schema:read in demo mode
        federation_security=settings.federation_security,
    )
    graphql = GraphQLEndpoint(
        schema,
        services,
        limits,
        ide=settings.ide_enabled,
        refusals=refusals,
        # the websocket's doors (gateway/websocket.py): the same validator, limits and rules
        validator=tokens.validator,
        development_principal=development_principal() if settings.dev_principal else None,
        rate_gate=RateGate(
            rate_limiter,
            settings.rate_limit_per_client,
            settings.rate_limit_per_tenant,
            settings.rate_limit_prefix,
            refusals,
        ),
        max_operations=settings.metrics_max_operations,
        max_subscriptions=settings.max_subscriptions_per_client,
    )
    persisted = build_persisted(  # by hash; APQ stores only what parses and validates
        settings,
        services.store.engine,
        graphql,
        refusals,
        services.clock,
        schema=schema._schema,
        limits=document_limits(settings),
    )
    graphql.persisted = persisted  # the websocket resolves documents through it too

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # The issuer's keys before the first request: a later store outage finds them cached.
        await tokens.warm()
        await key_persons(services)  # people's opaque keys stored under this secret (0016)
        try:
            async with running_relay(relay):
                yield
        finally:
            if outbox_clients is not None:
                await outbox_clients.aclose()
            await tokens.aclose()
            await rate_limiter.aclose()
            await persisted.registry.aclose()
            if owned:
                await close_services(services)

    app = Starlette(
        routes=[
            # HTTP, and websockets for the subscriptions (graphql-transport-ws)
            HTTPAndWebSocketRoute("/graphql", persisted, methods=["GET", "POST"]),
            # the supervision figures as files, through the same schema and rules (issue 15)
            *(
                Route(
                    f"/exports/supervision.{fmt}",
                    SupervisionExport(schema, services, limits, fmt).handle,
                    methods=["GET"],
                )
                for fmt in ("csv", "xlsx")
            ),
            *([assets_mount()] if settings.ide_enabled else []),
            Route("/healthz", healthz, methods=["GET"]),
            Route(
                "/readyz",
                readyz_endpoint(services, outbox_clients, settings.readiness_timeout),
                methods=["GET"],
            ),
            *tokens.routes,
            *(
                [
                    Route(
                        "/metrics",
                        metrics_endpoint(services.store.engine, services.clock),
                        methods=["GET"],
                    )
                ]
                if settings.metrics_enabled
                else []
            ),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(
                AdmissionMiddleware,
                admission=admission,
                deadline=settings.request_deadline + DEADLINE_GRACE,
                refusals=refusals,
            ),
            Middleware(TracingMiddleware),
            Middleware(MetricsMiddleware, max_operations=settings.metrics_max_operations),
            Middleware(DeadlineMiddleware, seconds=settings.request_deadline),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(CSRFGuardMiddleware, refusals=refusals),
            Middleware(
                AuthenticationMiddleware,
                validator=tokens.validator,
                development_principal=development_principal() if settings.dev_principal else None,
            ),
            Middleware(
                RateLimitMiddleware,
                limiter=rate_limiter,
                per_client=settings.rate_limit_per_client,
                per_tenant=settings.rate_limit_per_tenant,
                prefix=settings.rate_limit_prefix,
                refusals=refusals,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.refusals = refusals
    app.state.admission = admission
    app.state.rate_limiter = rate_limiter
    app.state.relay = relay
    app.state.relay_clients = outbox_clients
    return app
