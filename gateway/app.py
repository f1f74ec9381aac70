"""The Starlette app factory: routes, middleware and lifespan assembled declaratively."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from auth.middleware import AuthenticationMiddleware
from auth.principal import development_principal
from gateway.graphql import GraphQLEndpoint
from gateway.health import healthz, readyz_endpoint
from gateway.ide import assets_mount
from gateway.middleware.body_limit import BodySizeLimitMiddleware
from gateway.middleware.request_id import RequestIdMiddleware
from gateway.services import build_services, close_services
from gateway.settings import Settings
from schemas.context import Limits, Services
from schemas.schema import build_schema


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """Build the gateway. Pass `services` to share connector clients (tests, bench); otherwise
    they are created from the settings and closed on shutdown."""
    owned = services is None
    services = services or build_services(settings)
    limits = Limits(
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
        loader_hops=settings.loader_dispatch_hops,
    )
    graphql = GraphQLEndpoint(
        build_schema(settings.document_cache_size), services, limits, ide=settings.ide_enabled
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                await close_services(services)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *([assets_mount()] if settings.ide_enabled else []),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz_endpoint(services), methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(
                AuthenticationMiddleware,
                development_principal=development_principal() if settings.dev_principal else None,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    return app
