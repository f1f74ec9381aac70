"""The root types: every domain's Query merged in one place."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError, MiddlewareManager
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import BatchingConfig, StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schemas.audit.extension import AuditTrail
from schemas.audit.schema import Query as AuditQuery
from schemas.cases.mutations import CaseMutation
from schemas.cases.schema import Query as CaseQuery
from schemas.crosssystem.schema import Query as CrossSystemQuery
from schemas.descriptions import describe
from schemas.errors import ShapeErrors
from schemas.events.mutations import EventMutation
from schemas.events.schema import Query as EventQuery
from schemas.federation import BatchedEntities, client_sdl, entity_types, service_query
from schemas.federation_sdl import FEDERATION_VERSION, SecurityMode, router_sdl
from schemas.ftv1 import FederatedTrace
from schemas.hooks import HookRunner
from schemas.inputs import InputCheck
from schemas.items.schema import Query as ItemQuery
from schemas.lean import lean_enums, lean_resolvers
from schemas.limits import DocumentLimits, EntitiesWithVariables, limit_extensions
from schemas.linked.schema import LinkedActionMutation
from schemas.linked.schema import Query as LinkedActionQuery
from schemas.masking import mask_fields
from schemas.officers.schema import Query as OfficerQuery
from schemas.permissions import guard_fields
from schemas.scalars import SCALAR_OVERRIDES
from schemas.subjects.schema import Query as SubjectQuery
from schemas.subscriptions import Subscription, WebSocketOperations
from schemas.supervision.complaints import ComplaintMutation
from schemas.supervision.complaints import Query as ComplaintQuery
from schemas.supervision.grants import GrantMutation
from schemas.supervision.grants import Query as GrantQuery
from schemas.supervision.schema import Query as SupervisionQuery
from schemas.supervision.training import Query as TrainingQuery
from schemas.supervision.training import TrainingMutation
from schemas.tracing import OperationTracing
from schemas.transfers.mutations import TransferMutation
from schemas.transfers.schema import Query as TransferQuery
from schemas.validation_cache import TextValidationCache

Query = merge_types(
    "Query",
    (
        CaseQuery,
        SubjectQuery,
        EventQuery,
        OfficerQuery,
        ItemQuery,
        CrossSystemQuery,
        AuditQuery,
        SupervisionQuery,
        TransferQuery,
        LinkedActionQuery,
        ComplaintQuery,
        GrantQuery,
        TrainingQuery,
    ),
)


class GatewaySchema(BatchedEntities):
    # Whether `_service { sdl }` shows the security directives to routers (federation_sdl.py).
    federation_security: SecurityMode = "subgraph"
    # The default page size and assumed list size `@listSize` prints (schemas/limits.py).
    federation_list_sizes: tuple[int, int] = (
        DocumentLimits.default_page_size,
        DocumentLimits.list_size,
    )

    def _get_middleware_manager(self, extensions: list[SchemaExtension]) -> MiddlewareManager:
        # No extension of ours wraps every resolver (`SchemaExtension.resolve`): no middleware
        # manager then, so the executor does not ask one for every field of every row.
        if any(extension._implements_resolve() for extension in extensions):
            return super()._get_middleware_manager(extensions)
        return None  # type: ignore[return-value]  # graphql-core takes None for "no middleware"

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HookRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ShapeErrors logs what is ours to log (internal errors, with their traceback); user
        # errors and upstream failures are answers, not server faults.
        return None


def build_schema(
    document_cache_size: int = 1024,
    limits: DocumentLimits | None = None,
    max_batch_operations: int = 0,
    open_sdl: bool = False,
    federation_security: SecurityMode = "subgraph",
) -> strawberry.Schema:
    """Build once at start-up, never per request. Parsed and validated documents are cached
    (bounded LRU keyed by the document text): front ends send the same documents again and again.
    `limits` bound every document before execution; batched requests are refused unless
    `max_batch_operations` allows them (schemas/limits.py, docs/hardening.md).
    `federation_security`: whether routers see `@authenticated`/`@requiresScopes` (docs/partners.md)."""
    batching = BatchingConfig(max_operations=max_batch_operations) if max_batch_operations else None
    # A federation v2 subgraph (schemas/federation.py); `open_sdl`: `_service` without schema:read.
    schema = GatewaySchema(
        query=merge_types("Query", (Query, service_query(open_sdl))),
        types=entity_types(),
        mutation=merge_types(
            "Mutation",
            (
                CaseMutation,
                EventMutation,
                TransferMutation,
                LinkedActionMutation,
                ComplaintMutation,
                GrantMutation,
                TrainingMutation,
            ),
        ),
        subscription=Subscription,
        config=StrawberryConfig(batching_config=batching),
        scalar_overrides=SCALAR_OVERRIDES,  # every instant in China time (schemas/scalars.py)
        federation_version=FEDERATION_VERSION,
        extensions=[
            OperationTracing,  # first: its span encloses everything, error shaping included
            AuditTrail,  # inside the span (its trace id), outside ShapeErrors (the final codes)
            ShapeErrors,
            WebSocketOperations,
            *limit_extensions(limits or DocumentLimits(), document_cache_size),  # parser cache
            lambda: TextValidationCache(maxsize=document_cache_size),
            lambda: EntitiesWithVariables(limits or DocumentLimits()),  # after validation
            InputCheck,  # last: after the trail (the name sent) and the validation cache
            FederatedTrace,  # `extensions.ftv1` for a router that asks (schemas/ftv1.py)
        ],
    )
    describe(schema._schema)  # the catalogue's descriptions where the definitions have none
    lean_resolvers(schema)  # no per-field wrapper where Strawberry's has nothing to do
    lean_enums(schema._schema)  # an enum member's name by one lookup
    mask_fields(schema._schema)  # personal data masked behind its resolvers
    guard_fields(schema._schema)  # declared permissions in front of their resolvers
    schema.federation_security = federation_security
    sizes = limits or DocumentLimits()
    schema.federation_list_sizes = (sizes.default_page_size, sizes.list_size)
    return schema


def sdl() -> str:
    """The SDL for clients: the subgraph SDL without federation's plumbing, standing alone."""
    return client_sdl(federation_sdl("router"))  # the client SDL shows every rule


def federation_sdl(federation_security: SecurityMode = "subgraph") -> str:
    """What `_service { sdl }` answers: the SDL with its federation @link and directives (the
    security directives only when declared for the router)."""
    from strawberry.printer import print_schema

    limits = DocumentLimits()
    sdl = router_sdl(
        print_schema(build_schema()),
        federation_security,
        limits.default_page_size,
        limits.list_size,
    )
    return sdl + "\n"
