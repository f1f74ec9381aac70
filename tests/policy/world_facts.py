"""What the demo world says each principal may see, computed from the world itself and the scope
grammar of DESIGN §4, independently of the gateway's own policy code."""

from __future__ import annotations

from collections.abc import Iterable

from auth.principal import Principal
from domain.enums import PartyKind
from gateway.demo.seed import demo_transfer_copy
from sandbox.world import World


def pattern_matches(pattern: str, tenant: str | None) -> bool:
    if tenant is None:
        return pattern == "*"
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return tenant.startswith(pattern[:-1])
    return tenant == pattern


def patterns(p: Principal, resource: str, action: str = "read") -> list[str]:
    return [
        s.pattern or p.tenant for s in p.scopes if s.resource == resource and s.action == action
    ]


def may(p: Principal, resource: str, tenant: str | None, action: str = "read") -> bool:
    return any(pattern_matches(x, tenant) for x in patterns(p, resource, action))


def holds(p: Principal, resource: str, action: str = "read") -> bool:
    return bool(patterns(p, resource, action))


class Facts:
    def __init__(self, world: World) -> None:
        self.world = world
        grants = {(g.town, g.item_code): g.department for g in world.grants}
        self.case_tenant = {c.number: c.tenant for c in world.cases}
        self.case_granted_by = {c.number: grants.get((c.tenant, c.item_code)) for c in world.cases}
        self.officer_tenant = {o.id: o.tenant for o in world.officers}
        self.transferred_to: dict[str, set[str]] = {}
        for transfer in world.transfers:
            receivers = self.transferred_to.setdefault(transfer.case_number, set())
            receivers.add(transfer.to_tenant)
            copy = demo_transfer_copy(transfer.to_tenant)  # the procuratorate copied sees it too
            if copy is not None:
                receivers.add(copy)
        self.event_town = {e.id: e.town for e in world.events}
        self.provincial_division = {p.number: p.division for p in world.provincial_cases}
        persons = [s for s in world.subjects if s.kind is PartyKind.NATURAL_PERSON]
        self.id_numbers = {s.code for s in persons} | {
            s.legal_representative_id for s in world.subjects if s.legal_representative_id
        }
        self.id_numbers |= {o.id_number for o in world.officers}
        self.phones = {s.phone for s in world.subjects} | {o.phone for o in world.officers}
        self.phones |= {t.caller_phone for t in world.tickets}
        self.person_addresses = {s.address for s in persons}

    def case_visible(self, p: Principal, number: str) -> bool:
        """The town, the granting department, or a body the case was transferred (or copied)
        to."""
        return (
            may(p, "case", self.case_tenant[number])
            or may(p, "case", self.case_granted_by[number])
            or any(may(p, "case", to) for to in self.transferred_to.get(number, ()))
        )

    def visible_cases(self, p: Principal) -> set[str]:
        return {c.number for c in self.world.cases if self.case_visible(p, c.number)}

    def supervision_tenant(self, number: str) -> str:
        """A provincial record belongs to its local case's tenant, else to its division."""
        return self.case_tenant.get(number) or self.provincial_division[number]

    def supervision_visible(self, p: Principal, number: str) -> bool:
        """`Case.supervision` follows the case rule (town or granting department)."""
        return may(p, "supervision", self.supervision_tenant(number)) or may(
            p, "supervision", self.case_granted_by.get(number)
        )

    def personal_values_in(self, text: str) -> list[str]:
        found: Iterable[str] = (
            v for v in (*self.id_numbers, *self.phones, *self.person_addresses) if v in text
        )
        return sorted(found)
