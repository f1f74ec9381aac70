"""What every upstream client shares, written once: its config (where the upstream lives, the
pool and timeouts of `connectors/http.py`, and how it is called: `Resilience`), one pooled
`HttpClient` (which adds the observer's headers and records the call), the guard every call goes
through (`connectors/resilience.py`), and closing. Each connector adds its credentials and its
calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Self, TypeVar

from connectors.http import HttpClient, UpstreamConfig
from connectors.resilience import Resilience, UpstreamGuard


@dataclass(frozen=True, slots=True)
class ClientConfig(UpstreamConfig):
    """An upstream client's config; each connector's subclass adds its credentials."""

    resilience: Resilience = field(default_factory=Resilience, kw_only=True)


C = TypeVar("C", bound=ClientConfig)


class UpstreamClient(Generic[C]):
    """One upstream: one pooled client per process, created at start-up and closed at shutdown."""

    def __init__(self, source: str, config: C, http: HttpClient) -> None:
        self.config = config
        self._http = http
        self.guard = UpstreamGuard(source, config, config.resilience)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
