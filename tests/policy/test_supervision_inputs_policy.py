"""The supervision inputs (issue 15) through the real gateway on SQLite and on PostgreSQL with
row-level security (migration 0011's policies; the gateway connecting as a member of
gateway_app): a town writes and reads its complaints and training, a department adjusts what it
granted, and each is seen by its tenants only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from domain.enums import OfficerRole
from sandbox.world import World
from tests.clock import TESTS_DAY
from tests.policy.conftest import PolicyGateway, principal

TOWN = "990121001"
NEIGHBOUR = "990121002"
DEPARTMENT = "990121:cgj"


def data_of(body: dict[str, Any]) -> Any:
    assert not body.get("errors"), body
    return body["data"]


def town(tenant: str = TOWN) -> Any:
    return principal(
        tenant,
        f"complaint:read@{tenant} complaint:write@{tenant} officer:read@{tenant} "
        f"officer:write@{tenant} item:read@{tenant}",
    )


def test_complaints_training_and_grants_by_tenant(
    policy_gateway: PolicyGateway, world: World
) -> None:
    gateway = policy_gateway
    case = next(c for c in world.cases if c.tenant == TOWN and c.handler_ids)
    me = town()
    made = gateway.query(
        me,
        """mutation($i: RegisterComplaintInput!) { registerComplaint(input: $i) { id tenant } }""",
        {
            "i": {
                "tenant": TOWN,
                "kind": "REPORT",
                "channel": "PHONE",
                "complainant": "匿名",
                "summary": "举报执法人员选择性执法",
                "receivedOn": (TESTS_DAY - timedelta(days=1)).isoformat(),
                "caseNumber": case.number,
                "officerId": case.handler_ids[0],
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    complaint_id = data_of(made)["registerComplaint"]["id"]
    # The audit trail names the complaint written (schemas/audit: who, what, which records).
    audit = gateway.query(
        principal("990121:sfj", "audit:read@990121*"),
        """query($f: AuditEventFilter) { auditEvents(filter: $f, first: 10) {
             edges { node { records { type id } } } } }""",
        {"f": {"principal": me.subject}},
    )
    (event,) = [e["node"] for e in data_of(audit)["auditEvents"]["edges"]]
    assert {"type": "Complaint", "id": complaint_id} in event["records"]
    listed = "query($f: ComplaintFilter) { complaints(filter: $f) { id } }"
    bureau = principal("990121:sfj", "complaint:read@990121*")
    other_bureau = principal("990122:sfj", "complaint:read@990122*")
    assert complaint_id in {c["id"] for c in data_of(gateway.query(bureau, listed))["complaints"]}
    for outsider in (other_bureau, town(NEIGHBOUR)):
        seen = data_of(gateway.query(outsider, listed))["complaints"]
        assert complaint_id not in {c["id"] for c in seen}

    officer = next(
        o.id for o in world.officers if o.tenant == TOWN and o.role is OfficerRole.OFFICER
    )
    trained = gateway.query(
        town(),
        """mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { id officerId } }""",
        {
            "i": {
                "tenant": TOWN,
                "officerIds": [officer],
                "course": "执法记录仪使用规范",
                "organiser": "县城市管理局",
                "heldOn": (TESTS_DAY - timedelta(days=2)).isoformat(),
                "hours": 4,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    (record,) = data_of(trained)["recordTraining"]
    records = "query($o: String!) { trainingRecords(officerId: $o) { id } }"
    mine = data_of(gateway.query(town(), records, {"o": officer}))["trainingRecords"]
    assert record["id"] in {r["id"] for r in mine}
    assert data_of(gateway.query(town(NEIGHBOUR), records, {"o": officer})) == {
        "trainingRecords": []
    }

    item = next(g.item_code for g in world.grants if g.town == TOWN and g.department == DEPARTMENT)
    adjusted = gateway.query(
        principal(DEPARTMENT, "item:read item:write"),
        """mutation($i: ChangeGrantInput!) { changeGrant(input: $i) {
             itemCode terms history { action } } }""",
        {
            "i": {
                "town": TOWN,
                "itemCode": item,
                "action": "ADJUST",
                "effectiveOn": TESTS_DAY.isoformat(),
                "terms": "限建成区范围内行使",
                "reason": "县委编办动态调整",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    power = data_of(adjusted)["changeGrant"]
    assert power["terms"] == "限建成区范围内行使" and power["history"][-1]["action"] == "ADJUST"
    powers = "query($t: String!) { grantedPowers(town: $t) { itemCode terms history { action } } }"
    seen = data_of(gateway.query(town(), powers, {"t": TOWN}))["grantedPowers"]
    (entry,) = [p for p in seen if p["itemCode"] == item]
    assert entry["terms"] == "限建成区范围内行使"
    assert data_of(gateway.query(town(NEIGHBOUR), powers, {"t": TOWN})) == {"grantedPowers": []}
