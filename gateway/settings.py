"""All settings, from the environment (or a `.env` file) through pydantic-settings.

Every field is documented in the README's settings table; the environment variable is the
field name upper-cased with the `GATEWAY_` prefix, except `DATABASE_URL` and `REDIS_URL`.
"""

from __future__ import annotations

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

    @property
    def ide_enabled(self) -> bool:
        return self.demo if self.ide is None else self.ide
