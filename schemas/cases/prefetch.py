"""What a page of cases (or one case) will ask the upstream systems for, asked at once by the root
field before its rows resolve (schemas/lookahead.py): the same keys, the same loaders, so the
same one request per upstream; the rows' resolvers then answer without a coroutine each.

Only what the operation selects, and only what the caller may read: a field whose scope the
caller lacks is refused at the field (and nothing is fetched for it); a supervision record the
case's own tenant does not open is left to the field's grant lookup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader

from domain.enums import PartyKind
from schemas.context import Info
from schemas.lookahead import below, load_all, selects
from schemas.permissions import allowed, may

if TYPE_CHECKING:
    from strawberry.types.nodes import Selection

    from schemas.cases.types import Case


async def prefetch(info: Info, selections: Iterable[Selection], cases: Sequence[Case]) -> None:
    """Load what `selections` (a Case's selections) will read for each of `cases`."""
    from schemas.subjects.types import kind_of_code

    if not cases:
        return
    selections = list(selections)
    loaders = info.context.loaders
    pending: list[tuple[DataLoader[Any, Any], Any]] = []
    if selects(selections, "sourceEvent") and may(info, "event"):
        pending += [(loaders.event_by_id, c.source_event_id) for c in cases if c.source_event_id]
    if selects(selections, "supervision") and may(info, "supervision"):
        pending += [
            (loaders.provincial.batch, ("case", c.number))
            for c in cases
            if allowed(info, "supervision", c.tenant)
        ]
    subject = below(selections, "subject")
    if (selects(subject, "creditProfile") or selects(subject, "name")) and may(info, "credit"):
        pending += [
            (loaders.credit_profile_by_code, c.party_code)
            for c in cases
            if kind_of_code(c.party_code) is not PartyKind.NATURAL_PERSON
        ]
    if selects(below(selections, "officers"), "certificate") and may(info, "officer"):
        for c in cases:
            handlers = loaders.officers_by_case.load(c.number)
            if (
                handlers.done() and not handlers.cancelled() and handlers.exception() is None
            ):  # primed with the page
                pending += [
                    (loaders.provincial.batch, ("cert", o.certificate_no))
                    for o in handlers.result()
                    if o.certificate_no
                ]
    await load_all(pending)
