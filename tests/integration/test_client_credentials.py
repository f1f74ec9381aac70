"""The client-credentials token cache of the upstream connectors (connectors/http.py:
`ClientCredentials`), against the sandbox provincial platform's token endpoint (RFC 6749 §4.4),
on a clock the test moves: a token is fetched once for any number of waiting calls, kept until
`leeway` seconds before it expires, and renewed once when refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from connectors.errors import UpstreamBadResponse
from connectors.http import ClientCredentials, HttpClient, UpstreamConfig
from sandbox import provincial
from sandbox.common import RunningServer
from sandbox.world import World
from tests.upstreams import upstream

TOKEN = "/oauth2/token"
TTL = 600


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def platform(world: World) -> Iterator[RunningServer]:
    with upstream(provincial, world, token_ttl=TTL) as server:
        yield server


def credentials(clock: Clock, secret: str = provincial.DEMO_CLIENT_SECRET) -> ClientCredentials:
    return ClientCredentials(
        "provincial", provincial.DEMO_CLIENT_ID, secret, TOKEN, leeway=60, clock=clock
    )


async def test_one_fetch_kept_until_the_leeway(platform: RunningServer) -> None:
    platform.controls.reset()
    clock = Clock()
    cache = credentials(clock)
    async with HttpClient("provincial", UpstreamConfig(platform.url)) as http:
        tokens = await asyncio.gather(*(cache.bearer(http) for _ in range(20)))
        assert len(set(tokens)) == 1
        assert platform.controls.count(TOKEN) == 1
        clock.now += TTL - 60 - 1  # one second before the leeway: the same token
        assert await cache.bearer(http) == tokens[0]
        assert platform.controls.count(TOKEN) == 1
        clock.now += 1  # the leeway reached: a new one, fetched once
        renewed = await asyncio.gather(*(cache.bearer(http) for _ in range(5)))
        assert len(set(renewed)) == 1 and renewed[0] != tokens[0]
        assert platform.controls.count(TOKEN) == 2


async def test_a_refused_token_is_renewed_once(platform: RunningServer) -> None:
    platform.controls.reset()
    cache = credentials(Clock())
    async with HttpClient("provincial", UpstreamConfig(platform.url)) as http:
        first = await cache.bearer(http)
        # Ten calls refused with the same token: one new token between them.
        await asyncio.gather(*(cache.renew(http, first) for _ in range(10)))
        second = await cache.bearer(http)
        assert second != first
        assert platform.controls.count(TOKEN) == 2
        await cache.renew(http, first)  # a late refusal of the old token: nothing
        assert platform.controls.count(TOKEN) == 2


async def test_a_wrong_secret_is_refused_with_the_endpoints_error(
    platform: RunningServer,
) -> None:
    cache = credentials(Clock(), secret="not-the-secret")
    async with HttpClient("provincial", UpstreamConfig(platform.url)) as http:
        with pytest.raises(UpstreamBadResponse) as raised:
            await cache.bearer(http)
    assert "invalid_client" in raised.value.message
