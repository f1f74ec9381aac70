"""Upstreams for tests, in one place: an app (a sandbox upstream or a gateway) served on a
loopback port for the length of a block, what tests read from a sandbox's state, the records the
connectors write to the upstreams, and a certificate lookup that answers what the provincial
sandbox would, without the network."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from types import ModuleType
from typing import Any

from connectors.credit import CreditClient, CreditConfig, PenaltyPublicityRecord
from connectors.provincial import CaseReport, CertificateRecord, ProvincialClient, ProvincialConfig
from connectors.smartcity import SmartCityClient, SmartCityConfig
from domain.enums import CaseStatus, PartyKind, PenaltyKind
from sandbox.common import RunningServer, SandboxControls, start_in_thread, stop
from sandbox.credit import CreditStore
from sandbox.provincial import PlatformState, certificate_status
from sandbox.runner import Sandbox
from sandbox.smartcity import FeedbackRecord, SmartCityState
from sandbox.world import World

# --- serving -----------------------------------------------------------------------------------


@contextmanager
def serving(
    name: str, app: Any, *, lifespan: bool = False, access_log: bool = False
) -> Iterator[RunningServer]:
    """`app` under uvicorn on a free loopback port for the block; with `lifespan` its start-up has
    run when the block starts and its shutdown when the block ends (a gateway's clients close)."""
    server = start_in_thread(
        name, app, SandboxControls(name), lifespan=lifespan, access_log=access_log
    )
    try:
        yield server
    finally:
        stop([server])


@contextmanager
def upstream(module: ModuleType, world: World, **options: Any) -> Iterator[RunningServer]:
    """One sandbox upstream (`sandbox.smartcity`, `sandbox.provincial` or `sandbox.credit`)
    serving `world` alone: its state, counters and faults are this block's. `options` go to its
    `create_app`."""
    controls = SandboxControls(module.NAME)
    server = start_in_thread(module.NAME, module.create_app(world, controls, **options), controls)
    try:
        yield server
    finally:
        stop([server])


def client_of(sandbox: Sandbox, system: str, **options: Any) -> Any:
    """A connector client of one of `sandbox`'s upstreams (`smartcity`, `provincial`, `credit`)
    with the demo credentials; `options` (timeout, resilience …) go to its config. The caller
    closes it."""
    c = sandbox.credentials
    if system == "smartcity":
        url = sandbox.smartcity.url
        return SmartCityClient(SmartCityConfig(url, c.smartcity_api_key, **options))
    if system == "provincial":
        url, secret = sandbox.provincial.url, c.provincial_client_secret
        return ProvincialClient(ProvincialConfig(url, c.provincial_client_id, secret, **options))
    if system == "credit":
        url, secret = sandbox.credit.url, c.credit_app_secret
        return CreditClient(CreditConfig(url, c.credit_app_key, secret, **options))
    raise ValueError(f"no upstream {system!r}")


# --- a sandbox's state, as a test reads it ------------------------------------------------------


def platform(sandbox: Sandbox) -> PlatformState:
    """The provincial platform's cases, reports and tokens."""
    state: PlatformState = sandbox.provincial.app.state.platform
    return state


def credit_store(sandbox: Sandbox) -> CreditStore:
    """The credit system's records and the publications it received."""
    store: CreditStore = sandbox.credit.app.state.store
    return store


def smartcity_state(sandbox: Sandbox) -> SmartCityState:
    """The smart-city platform's events, tickets and feedback."""
    state: SmartCityState = sandbox.smartcity.app.state.smartcity
    return state


def feedback(sandbox: Sandbox) -> list[FeedbackRecord]:
    """The feedback the smart-city platform received, oldest first."""
    return list(smartcity_state(sandbox).feedback)


# --- what the connectors write ------------------------------------------------------------------


def case_report(number: str, **changes: Any) -> CaseReport:
    """A decided fine of a street in the demo county, as reported to the provincial platform."""
    report = CaseReport(
        number=number,
        title="云台吕记面馆占道经营案",
        party_code="92990121R046C54Q3J",
        party_name="云台吕记面馆",
        body_name="东岭区东岭街道",
        body_code="11990121L78A44EY80",
        division="990121",
        status=CaseStatus.DECIDED,
        filed_on=date(2026, 9, 1),
        decided_on=date(2026, 10, 8),
        penalty_kind=PenaltyKind.FINE,
        fine=800,
    )
    return dataclasses.replace(report, **changes)


def penalty_record(world: World, decision_number: str, **changes: Any) -> PenaltyPublicityRecord:
    """A 双公示 record of a fine on a company of `world`, decided by its first town."""
    town = world.towns()[0]
    subject = next(s for s in world.subjects if s.kind is PartyKind.LEGAL_PERSON)
    record = PenaltyPublicityRecord(
        decision_number=decision_number,
        party_name=subject.name,
        party_kind=subject.kind,
        party_code=subject.code,
        legal_representative=subject.legal_representative,
        legal_representative_id=subject.legal_representative_id,
        violation_type="占道经营",
        facts=f"经查,当事人{subject.name}存在占道经营行为",
        legal_basis="《城市市容和环境卫生管理条例》第三十六条",
        penalty_kind=PenaltyKind.FINE,
        content="罚款人民币500元",
        fine_wan=0.05,
        confiscated_wan=None,
        licence=None,
        decided_on=date(2026, 10, 20),
        valid_until=date(2027, 1, 18),
        body_name=town.name,
        body_credit_code=town.credit_code,
        source_name=town.name,
        source_credit_code=town.credit_code,
        publicity_until=date(2027, 10, 20),
    )
    return dataclasses.replace(record, **changes)


# --- an upstream answered without the network ----------------------------------------------------

CertificateLookup = Callable[[Sequence[str]], Awaitable[list[CertificateRecord | None]]]


def certificate_lookup(world: World) -> CertificateLookup:
    """A certificate lookup answering what the provincial sandbox holds for `world`."""
    records = {
        o.certificate_no: CertificateRecord(
            o.certificate_no,
            o.name,
            o.certificate_issuer or "",
            o.certificate_valid_until,
            certificate_status(o, world.today),
        )
        for o in world.officers
        if o.certificate_no and o.certificate_valid_until
    }

    async def lookup(numbers: Sequence[str]) -> list[CertificateRecord | None]:
        return [records.get(n) for n in numbers]

    return lookup
