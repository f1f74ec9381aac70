"""A router's demand control estimates what we count: Hive Gateway's own cost calculator (the
`demandControl` of @graphql-hive/gateway-runtime, pinned in tests/federation/js) over a
supergraph composed from our printed federation SDL gives, operation by operation, the cost our
`COST` limit measures (schemas/limits.py). Composed and estimated once for the module."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSchema, parse, validate

from schemas.limits import MUTATION_COST, DocumentLimits, document_cost
from schemas.schema import build_schema, federation_sdl

# Literal sizes, as a router sees them: connections with `first`, lists sized by `first` (with a
# schema default) or by @listSize's assumed size, lists of leaves, nested lists under a
# connection, inline fragments, aliases, __typename.
OPERATIONS = [
    "{ cases(first: 5) { edges { node { number title } } pageInfo { hasNextPage } } }",
    "{ cases(first: 50) { totalCount edges { cursor node { number party { name } } } } }",
    "{ cases(first: 3) { edges { node { timeline { at } officers { name org { name } } } } } }",
    "{ cases(first: 7) { edges { node { ... on Case { number evidence { id } } } } } }",
    "{ gridEvents { id } }",
    "{ gridEvents(first: 7) { id subject { cases { number } } } }",
    "{ officers { id name } }",
    "{ a: gridEvents(first: 2) { id } b: gridEvents(first: 3) { __typename id } }",
    "{ auditEvents(first: 4) { edges { node { __typename } } } }",
    "{ __typename }",
    '{ supervisionStats(tenantPattern: "990121*", from: "2026-01-01", to: "2026-02-01") {'
    " byTown { tenant decided } overdueCases(first: 6) { edges { node { number } } } } }",
    '{ subject(code: "x") { code ... on Subject { cases { number title } } } }',
]
# Hive Gateway 2.15.1 only (docs/partners.md, "Demand control"): a connection without `first`
# costs 1 per edge (we and GraphOS Router: the default page size), a named fragment is costed
# once where it is defined, not at its spreads. Each would equal ours with `first: 20` / an inline
# fragment.
HIVE_LOWER = [
    "{ cases { edges { node { number party { name } } } } }",
    "{ cases(first: 7) { edges { node { ...C } } } } fragment C on Case { evidence { id } }",
]
# Hive Gateway adds no base cost to a mutation (its visitor looks for the schema's
# OperationTypeDefinition, never an operation's), where the spec and GraphOS Router add 10.
MUTATION = 'mutation { escalateTransfer(input: {transferId: "t", idempotencyKey: "k"}) { transferId transferStatus } }'


@pytest.fixture(scope="module")
def estimates(node_tools: Path, composers: Path, tmp_path_factory: Any) -> list[Any]:
    folder = tmp_path_factory.mktemp("demand")
    (folder / "ours.graphql").write_text(federation_sdl(), "utf-8")
    composed = subprocess.run(
        [
            "node",
            str(composers / "compose.mjs"),
            "--guild",
            f"enforcement=http://127.0.0.1:9/graphql={folder / 'ours.graphql'}",
        ],
        cwd=node_tools,
        capture_output=True,
        text=True,
        timeout=120,
    )
    supergraph = json.loads(composed.stdout)["supergraphSdl"]
    assert "@listSize" in supergraph or "listSize" in supergraph
    (folder / "supergraph.graphql").write_text(supergraph, "utf-8")
    (folder / "operations.json").write_text(
        json.dumps([*OPERATIONS, *HIVE_LOWER, MUTATION]), "utf-8"
    )
    result = subprocess.run(
        [
            "node",
            "demand-cost.mjs",
            str(folder / "supergraph.graphql"),
            str(folder / "operations.json"),
        ],
        cwd=node_tools,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    answer: list[Any] = json.loads(result.stdout)
    return answer


@functools.cache
def our_schema() -> GraphQLSchema:
    return build_schema()._schema


def ours(document: str) -> int:
    schema = our_schema()
    assert validate(schema, parse(document)) == [], document
    return document_cost(schema, parse(document), DocumentLimits())


def test_hive_gateway_estimates_every_operation_as_we_count_it(estimates: list[Any]) -> None:
    counted = [ours(o) for o in OPERATIONS]
    assert estimates[: len(OPERATIONS)] == counted
    assert len(set(counted)) > 5 and max(counted) > 100  # not a set of zeros


def test_a_mutation_adds_the_base_cost_hive_leaves_out(estimates: list[Any]) -> None:
    assert ours(MUTATION) == estimates[-1] + MUTATION_COST


def test_hives_known_differences_are_underestimates(estimates: list[Any]) -> None:
    hive = estimates[len(OPERATIONS) : len(OPERATIONS) + len(HIVE_LOWER)]
    assert [ours(o) for o in HIVE_LOWER] == [1 + 20 * 3, 1 + 7 * (1 + 1 + 10)]
    assert hive == [1 + 1 + 1 + 1, 1 + 7 + 7 + 10]  # each object once, the fragment unmultiplied
