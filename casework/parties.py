"""更正当事人信息 (issue 15, item 5): what a correction of a wrongly recorded party changes, and
how the case's record says it. The use case is `CaseWork.correct_party`."""

from __future__ import annotations

from casework.commands import CorrectParty
from connectors.store.ledger import InvalidCommand
from connectors.store.tables import Party
from domain.procedure import check_party_kind

LABELS = {
    "kind": "当事人类别",
    "name": "当事人名称",
    "legal_representative": "法定代表人",
    "legal_representative_id": "法定代表人证件号码",
}


def correct(party: Party, command: CorrectParty) -> str:
    """Set the party right in place, its category checked against its code; the note of the
    step (personal data is named, never quoted). Nothing to change is an invalid command."""
    if not command.reason.strip():
        raise InvalidCommand("须写明更正理由 / give the reason of the correction")
    kind = command.kind or party.kind
    check_party_kind(party.code, kind)
    wanted = {
        "kind": kind,
        "name": command.name,
        "legal_representative": command.legal_representative,
        "legal_representative_id": command.legal_representative_id,
    }
    changed: list[str] = []
    for field, value in wanted.items():
        before = getattr(party, field)
        if value is None or value == before:
            continue
        if isinstance(value, str) and not value.strip():
            raise InvalidCommand(f"{LABELS[field]}不能为空 / {field} cannot be empty")
        if field == "kind":
            changed.append(f"{LABELS[field]} {party.kind.label}→{kind.label}")
        else:
            changed.append(LABELS[field])
        setattr(party, field, value)
    if not changed:
        raise InvalidCommand("当事人信息无变化 / nothing to correct")
    return f"更正当事人信息:{'、'.join(changed)};理由:{command.reason}"
