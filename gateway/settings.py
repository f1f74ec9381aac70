"""All settings, from the environment (or a `.env` file) through pydantic-settings.

Every field is documented in the README's settings table; the environment variable is the
field name upper-cased with the `GATEWAY_` prefix, except `DATABASE_URL` and `REDIS_URL`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    demo: bool = False
    dev_principal: bool = Field(
        default=False, description="Serve every request as an all-scopes development principal"
    )
    ide: bool | None = Field(
        default=None, description="Serve the GraphQL IDE on GET /graphql (default: on in demo mode)"
    )
    log_level: str = "info"

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "GATEWAY_DATABASE_URL")
    )
    sqlite_path: str = "var/gateway.db"
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "GATEWAY_REDIS_URL")
    )
    world_seed: int = 20261101
    today: date | None = Field(
        default=None,
        description="Reproducible runs: the product's clock moved onto this day (China; the "
        "wall clock's time of day, ticking) and the demo world generated for it; unset: the "
        "wall clock",
    )

    smartcity_url: str = "http://127.0.0.1:8101"
    smartcity_api_key: str = ""
    provincial_url: str = "http://127.0.0.1:8102"
    provincial_client_id: str = ""
    provincial_client_secret: str = ""
    credit_url: str = "http://127.0.0.1:8103"
    credit_app_key: str = ""
    credit_app_secret: str = ""

    upstream_timeout: float = Field(default=2.0, gt=0, description="Seconds for one upstream call")
    upstream_connect_timeout: float = Field(default=1.0, gt=0)
    readiness_timeout: float = Field(
        default=2.0, gt=0, description="Seconds each /readyz probe (store, upstream) may take"
    )
    upstream_max_connections: int = Field(default=100, ge=1)
    loader_dispatch_hops: int = Field(
        default=4, ge=1, le=32, description="Event-loop turns a loader waits to collect keys"
    )

    document_cache_size: int = Field(
        default=1024, ge=1, description="Parsed and validated GraphQL documents kept (LRU)"
    )
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # upstream resilience (connectors/resilience.py, docs/resilience.md)
    request_deadline: float = Field(
        default=5.0, gt=0, description="Seconds a request may spend on upstream calls"
    )
    upstream_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a failed idempotent upstream call"
    )
    upstream_retry_base_ms: float = Field(default=50.0, ge=0, description="First backoff ceiling")
    upstream_retry_max_ms: float = Field(default=1000.0, ge=0, description="Highest ceiling")
    upstream_retry_timeouts: bool = Field(
        default=False, description="Also retry idempotent calls that timed out"
    )
    upstream_concurrency: int = Field(default=50, ge=1, description="Attempts on the wire")
    breaker_failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failures that open an upstream's breaker"
    )
    breaker_failure_ratio: float = Field(
        default=0.5, ge=0, le=1, description="Failed share of calls that opens it (0: off)"
    )
    breaker_window_s: float = Field(default=10.0, gt=0)
    breaker_min_calls: int = Field(default=20, ge=1)
    breaker_cooldown_s: float = Field(
        default=10.0, gt=0, description="Seconds an open breaker fails fast before a probe"
    )

    # observability: logs, metrics (tracing is configured by the standard OTEL_* variables)
    log_format: str = Field(
        default="json", pattern="^(json|text)$", description="json: one object per line"
    )
    metrics_enabled: bool = Field(default=True, description="Serve Prometheus metrics")
    metrics_max_operations: int = Field(
        default=200, ge=1, description="Distinct operation names in metric labels"
    )

    # bearer tokens and the built-in issuer (auth/, gateway/tokens.py, docs/auth.md)
    token_issuer: str | None = Field(
        default=None, description="`iss` of the built-in issuer (default http://<host>:<port>)"
    )
    token_audience: str = Field(default="enforcement-gateway", description="`aud` required")
    token_ttl: int = Field(default=900, ge=1, le=86400, description="Seconds a token lives")
    token_leeway: int = Field(default=30, ge=0, le=300, description="Clock skew allowed (s)")
    token_cache_ttl: float = Field(
        default=60.0, ge=0, le=300, description="Seconds a verified token is remembered (0: off)"
    )
    token_algorithm: str = Field(default="RS256", pattern="^(RS256|ES256)$")
    builtin_issuer: bool = Field(default=True, description="Serve /oauth/token and its JWKS")
    jwks_url: str | None = Field(default=None, description="An external issuer's JWKS")
    jwks_issuer: str | None = Field(default=None, description="That issuer's `iss`")
    trusted_issuers: list[dict[str, str]] = Field(
        default_factory=list, description='JSON: [{"issuer", "jwks_url", "audience"?}, …]'
    )
    jwks_cache_ttl: float = Field(default=300.0, gt=0, description="Seconds JWKS keys are kept")
    jwks_refetch_interval: float = Field(
        default=30.0, ge=0, description="At most one refetch on an unknown kid per this many s"
    )
    issuer_keys_stale_if_error: float = Field(
        default=3600.0,
        ge=0,
        description="While the store is down, the built-in issuer's last keys keep validating "
        "for up to this many s beyond the JWKS TTL (fail static; 0: fail closed)",
    )
    oauth_clients: list[dict[str, str | bool]] = Field(
        default_factory=list,
        description='JSON: [{"client_id", "tenant", "scope", "secret_hash"|"secret", "name"?}]',
    )
    oauth_clients_file: str | None = Field(default=None, description="The same list in a file")

    # GraphQL hardening: document limits, introspection, batching, rate limits (docs/hardening.md)
    introspection: bool | None = Field(
        default=None, description="Answer __schema/__type (default: on when the IDE is on)"
    )
    max_query_depth: int = Field(default=10, ge=1, description="Nested field levels")
    max_query_aliases: int = Field(default=15, ge=0)
    max_query_tokens: int = Field(default=2000, ge=100, description="Lexical tokens")
    max_query_directives: int = Field(default=20, ge=0)
    max_query_cost: int = Field(default=20_000, ge=1, description="Static cost, docs/hardening.md")
    query_cost_list_size: int = Field(
        default=10, ge=1, description="Assumed length of a list field without first/limit"
    )
    max_entities: int = Field(
        default=200, ge=1, description="Representations in one federation `_entities` call"
    )
    websocket_operations: bool = Field(
        default=False,
        description="Queries and mutations over the websocket too (default: subscriptions only)",
    )
    max_subscriptions_per_client: int = Field(
        default=20,
        ge=1,
        description="Operations open at once over the websocket per client, across its sockets",
    )
    max_batch_operations: int = Field(
        default=0, ge=0, description="Operations in a batched (JSON array) request; 0: refused"
    )
    rate_limit_per_client: int = Field(
        default=1200, ge=0, description="Requests per minute per client (0: off)"
    )
    rate_limit_per_tenant: int = Field(
        default=6000, ge=0, description="Requests per minute per tenant (0: off)"
    )
    rate_limit_prefix: str = Field(default="gateway:ratelimit", description="Redis key prefix")
    # lookups by a natural person's ID number (auth/lookups.py, docs/hardening.md)
    id_lookup_misses: int = Field(
        default=20,
        ge=0,
        description="Lookups by ID number that find nobody, per principal without pii:read on "
        "every tenant and window (0: no budget)",
    )
    id_lookup_window_s: float = Field(
        default=3600.0, gt=0, description="The window of the ID-lookup miss budget, seconds"
    )
    id_lookup_prefix: str = Field(
        default="gateway:idlookup", description="Redis key prefix of the ID-lookup budget"
    )

    # tenant policy: the store's owner for migrations and seeds (docs/security.md); the
    # gateway itself connects through DATABASE_URL as a member of the role gateway_app
    migration_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the tables' owner for `gateway db upgrade|seed` "
        "(default: DATABASE_URL)",
    )

    # case procedure and the outbox relay (docs/procedure.md)
    relay_enabled: bool = Field(
        default=True, description="Run the outbox relay inside the gateway process"
    )
    relay_batch_size: int = Field(default=20, ge=1, description="Outbox messages claimed at once")
    relay_concurrency: int = Field(default=8, ge=1, description="Deliveries in flight at once")
    relay_poll_interval: float = Field(default=1.0, gt=0, description="Seconds between polls")
    relay_lease_seconds: float = Field(
        default=60.0, gt=0, description="How long a claim lasts before another relay may take it"
    )
    relay_max_attempts: int = Field(default=20, ge=1, description="Attempts before FAILED")
    relay_backoff_base: float = Field(default=1.0, gt=0, description="First retry delay (s)")
    relay_backoff_cap: float = Field(default=300.0, gt=0, description="Longest retry delay (s)")
    holiday_calendar: str | None = Field(
        default=None,
        description="JSON file of holidays and adjusted working days by year: adds the years the "
        "chinesecalendar package does not know yet and replaces those it names wholesale",
    )
    # The procedure (docs/procedure.md)
    discussion_quorum: int = Field(
        default=3,
        ge=1,
        description="Leaders (the chair included) a collective discussion (集体讨论, art. 57) needs",
    )
    # Who changed a case, when (issue 14, docs/procedure.md "The record of who and when")
    late_entry_hours: float = Field(
        default=72,
        ge=0,
        description="Hours an act may be dated before its entry; beyond, it is entered late "
        "(补录) and needs a reason (0: no act is late)",
    )
    # Case events (the caseEvents subscription): Redis pub/sub channel when REDIS_URL is set
    case_events_channel: str = Field(
        default="gateway:case-events", description="Redis channel the replicas share case events on"
    )
    # Trusted documents (gateway/documents.py, docs/trusted-documents.md)
    persisted_only_clients: list[str] = Field(
        default_factory=list,
        description="Client ids that may run only documents registered for them (JSON list)",
    )
    router_clients: list[str] = Field(
        default_factory=list,
        description="Client ids whose tokens a federation router forwards: their `_entities`/"
        "`_service` fetches pass persisted-only (JSON list)",
    )
    persisted_apq: bool = Field(
        default=True, description="Automatic persisted queries: store a document sent with its hash"
    )
    persisted_apq_max_bytes: int = Field(
        default=16_384,
        ge=0,
        description="Largest document (UTF-8 bytes) APQ stores; larger ones run but are not kept",
    )
    persisted_apq_max_documents: int = Field(
        default=10_000,
        ge=0,
        description="Documents APQ keeps in the store; beyond, the oldest are evicted",
    )
    persisted_cache_size: int = Field(
        default=1024, ge=0, description="Documents kept in the in-process LRU cache"
    )
    persisted_cache_ttl: int = Field(
        default=3600, ge=1, description="Seconds a document stays in the Redis cache"
    )
    persisted_redis_prefix: str = Field(
        default="gateway:documents", description="Redis key prefix of the document cache"
    )

    # People log in (issue 14; auth/people.py, auth/issuer/login.py, docs/auth.md)
    oidc_issuer: str | None = Field(
        default=None,
        description="An OpenID provider whose access tokens are people's: its issuer URL "
        "(discovery at <issuer>/.well-known/openid-configuration gives its JWKS)",
    )
    oidc_audience: str | None = Field(
        default=None, description="`aud` required of its tokens (default GATEWAY_TOKEN_AUDIENCE)"
    )
    oidc_officer_claim: str = Field(
        default="sub", description="The claim of its tokens holding the officer id of the store"
    )
    people_cache_ttl: float = Field(
        default=30.0, ge=0, description="Seconds an officer looked up for a person's token is kept"
    )
    login_accounts: list[dict[str, str]] = Field(
        default_factory=list,
        description='Built-in login (code flow + PKCE), JSON: [{"username", "officer", '
        '"password_hash"|"password"}]',
    )
    login_clients: list[dict[str, str | list[str]]] = Field(
        default_factory=list,
        description='Public clients of the built-in login, JSON: [{"client_id", "redirect_uris"}] '
        "(the IDE's is built in)",
    )
    refresh_token_ttl: int = Field(
        default=28_800, ge=60, description="Seconds a built-in login's refresh token lives"
    )

    # Federation (schemas/federation_sdl.py, docs/partners.md)
    subject_key_secret: str = Field(
        default="",
        description="Secret of natural persons' opaque Subject keys (HMAC); set it in "
        "production, the same on every replica (unset: a development secret)",
    )
    federation_security: Literal["subgraph", "router"] = Field(
        default="subgraph",
        description="Security directives in the subgraph SDL: enforced here only (subgraph), or "
        "also declared for routers that honour them (router)",
    )

    # Load shedding and workers (gateway/middleware/admission.py, gateway/workers.py; issue 13)
    max_in_flight: int = Field(
        default=0,
        ge=0,
        description="GraphQL operations in flight per process beyond which requests get 503 at "
        "once; 0: 32 per worker with a core of its own",
    )
    workers: int = Field(
        default=0,
        ge=0,
        description="`gateway serve` processes; 0: one per core with REDIS_URL, else one",
    )

    @property
    def owner_database_url(self) -> str | None:
        return self.migration_database_url or self.database_url

    @property
    def ide_enabled(self) -> bool:
        return self.demo if self.ide is None else self.ide

    @property
    def worker_count(self) -> int:
        """`workers`, else one per core with `REDIS_URL` and one without (what is per worker
        without Redis: gateway/workers.py); the demo runs one (its sandboxes live in it)."""
        if self.demo:
            return 1
        if self.workers:
            return self.workers
        from gateway.middleware.admission import cores

        return cores() if self.redis_url else 1
