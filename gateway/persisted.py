"""Operations by hash, in front of the GraphQL endpoint.

- Apollo's automatic persisted queries: `extensions.persistedQuery {version: 1, sha256Hash}`
  without `query` runs the stored document, or answers `PersistedQueryNotFound`
  (`extensions.code` `PERSISTED_QUERY_NOT_FOUND`), upon which the client sends the query with
  its hash once and it is stored;
  Only a document that parses and validates against the schema (within the document limits) and
  is at most `GATEWAY_PERSISTED_APQ_MAX_BYTES` long is stored, and at most
  `GATEWAY_PERSISTED_APQ_MAX_DOCUMENTS` are kept (the oldest evicted): any other still runs (or
  is refused) as a plain request, and is simply not kept;
- plain persisted ids (`{"documentId": "<sha256>"}` as GraphQL Codegen sends them, or
  `{"id": ...}`) run a registered document;
- clients named in `GATEWAY_PERSISTED_ONLY_CLIENTS` run only documents registered for them
  (QUERY_REJECTED, reason PERSISTED_ONLY), whichever way they send them; except, for clients also
  named in `GATEWAY_ROUTER_CLIENTS`, a federation router's own `_entities`/`_service` fetches
  (built from its query plan, they cannot be registered ahead).

The request body is rewritten to carry the document as `query` and handed on; everything else
(limits, validation, execution) is the endpoint's as for any request. The websocket puts every
`subscribe` payload through the same `resolve` (gateway/websocket.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.principal import Principal
from domain.clock import Clock
from gateway.documents import DocumentRegistry, sha256_of
from gateway.refusals import Refusals, Refused
from gateway.settings import Settings
from schemas.codes import Code
from schemas.limits import DocumentLimits, validation_rules

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"

# The body handed on and what it parsed to: the endpoint takes the parsed payload instead of
# parsing the same bytes again (a large body cost its JSON parse twice; issue 10, item 1).
PARSED_BODY: ContextVar[tuple[bytes, Any] | None] = ContextVar("parsed_body", default=None)


class PersistedDocuments:
    def __init__(
        self,
        app: ASGIApp,
        registry: DocumentRegistry,
        *,
        restricted: frozenset[str] = frozenset(),
        routers: frozenset[str] = frozenset(),
        apq: bool = True,
        refusals: Refusals | None = None,
        apq_check: Callable[[str], bool] | None = None,
        apq_max_bytes: int = 16_384,
    ) -> None:
        self.app = app
        self.registry = registry
        self.restricted = restricted
        self.routers = routers  # their router's `_entities`/`_service` fetches pass
        self.apq = apq
        self.refusals = refusals
        self.apq_check = apq_check  # parses and validates (None: anything that is text)
        self.apq_max_bytes = apq_max_bytes
        self.apq_skipped = 0  # APQ documents not stored (too large, or not valid GraphQL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        try:
            payload = json.loads(body)
        except RecursionError:  # nested thousands deep: refused before anything else reads it
            bad: Refused | None = self._refuse("请求体嵌套过深 / JSON nested too deep", "BAD_JSON")
        except ValueError:  # not JSON: the endpoint answers it
            await self.app(scope, _replay(body), send)
            return
        else:
            bad = None
            if _not_an_operation(payload):  # `null`, `1`, `"x"`, `true`: never an operation
                bad = self._refuse(
                    "请求体须为 JSON 对象 / the body must be a JSON object (or a batch of them)",
                    "BAD_JSON",
                )
        if bad is not None:
            await bad.response(scope)(scope, receive, send)
            return
        if isinstance(payload, list):  # a batch: the endpoint caps and runs it
            await self.app(scope, _replay(body), send)
            return
        sent = (payload.get("query"), len(payload))
        refused = await self.resolve(scope.get("user"), payload)
        if refused is not None:
            await refused.response(scope)(scope, receive, send)
            return
        # Unchanged (no persisted document put in, no id taken out): the body as it came, not
        # serialised again (a large body costs its size once more in CPU; issue 10, item 1).
        unchanged = (payload.get("query"), len(payload)) == sent
        replayed = body if unchanged else json.dumps(payload).encode("utf-8")
        parsed = PARSED_BODY.set((replayed, payload))
        try:
            await self.app(scope, _replay(replayed), send)
        finally:
            PARSED_BODY.reset(parsed)

    async def resolve(self, principal: Principal | None, payload: dict[str, Any]) -> Refused | None:
        """Put the document in `payload["query"]`; or the refusal of the request."""
        client_id = getattr(principal, "client_id", None)
        extensions = payload.get("extensions") or {}
        apq = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = payload.get("query")
        wanted = _persisted_id(payload, apq)

        if isinstance(apq, dict) and isinstance(query, str) and query and self.apq:
            if sha256_of(query) != wanted:
                return self._refuse("provided sha does not match query", "PERSISTED_HASH")
            if self._storable(query):
                await self.registry.remember(query)
            else:
                self.apq_skipped += 1
        known = None
        if wanted and not query:
            known = await self.registry.lookup(wanted)
            if known is None or (not isinstance(apq, dict) and not known.trusted_for):
                # An APQ miss asks the client to send the text; an unknown id is an error.
                return Refused(200, "PersistedQueryNotFound", {"code": NOT_FOUND})
            payload["query"] = known.document
        if client_id in self.restricted and not (
            client_id in self.routers and router_fetch(payload.get("query"))
        ):
            if known is None:
                known = await self.registry.lookup(sha256_of(payload.get("query") or ""))
            if known is None or not known.trusted(client_id):
                return self._refuse(
                    "只允许已登记的操作 / only registered operations may run for this client",
                    "PERSISTED_ONLY",
                )
        payload.pop("documentId", None)
        payload.pop("id", None)
        return None

    def _storable(self, query: str) -> bool:
        """Parse and validate before storing: only GraphQL this schema would run is kept."""
        if len(query.encode("utf-8")) > self.apq_max_bytes:
            return False
        return self.apq_check is None or self.apq_check(query)

    def _refuse(self, message: str, reason: str) -> Refused:
        if self.refusals is not None:
            self.refusals.add(Code.QUERY_REJECTED, reason)
        return Refused(400, message, {"code": Code.QUERY_REJECTED, "reason": reason})


ROUTER_FIELDS = frozenset({"_entities", "_service", "__typename"})


def router_fetch(query: object) -> bool:
    """Whether `query` is a federation router's own fetch: queries whose root fields are only
    `_entities`/`_service`. A router builds these from its query plan, so they cannot be
    registered ahead; the selections inside still meet every limit, scope and tenant rule."""
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        op.operation is OperationType.QUERY
        and all(
            isinstance(s, FieldNode) and s.name.value in ROUTER_FIELDS
            for s in op.selection_set.selections
        )
        for op in operations
    )


def _not_an_operation(payload: object) -> bool:
    """`null`, `1`, `"x"`, `true`, or a batch holding anything but objects."""
    if isinstance(payload, list):
        return not all(isinstance(item, dict) for item in payload)
    return not isinstance(payload, dict)


def _persisted_id(payload: dict[str, Any], apq: object) -> str | None:
    if isinstance(apq, dict) and apq.get("version") == 1 and isinstance(apq.get("sha256Hash"), str):
        return str(apq["sha256Hash"])
    for key in ("documentId", "id"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value.removeprefix("sha256:")
    return None


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def document_check(schema: GraphQLSchema, limits: DocumentLimits) -> Callable[[str], bool]:
    """Whether a text is a GraphQL document that parses (within the token limit) and validates
    against `schema` with the standard rules and the document limits."""
    rules = (*specified_rules, *validation_rules(limits))

    def check(query: str) -> bool:
        try:
            document = parse(query, max_tokens=limits.max_tokens)
            return not validate(schema, document, rules)
        except GraphQLError:
            return False

    return check


def build_persisted(
    settings: Settings,
    engine: AsyncEngine,
    app: ASGIApp,
    refusals: Refusals | None = None,
    clock: Clock | None = None,
    *,
    schema: GraphQLSchema | None = None,
    limits: DocumentLimits | None = None,
) -> PersistedDocuments:
    """The endpoint behind its persisted-document front, from the settings; registrations are
    stamped by `clock` (the gateway's). APQ documents are checked against `schema` (and
    `limits`) before they are stored."""
    from connectors.store.documents import DocumentStore

    registry = DocumentRegistry(
        DocumentStore(engine, clock),
        settings.redis_url,
        prefix=settings.persisted_redis_prefix,
        cache_size=settings.persisted_cache_size,
        cache_ttl=settings.persisted_cache_ttl,
        apq_max_documents=settings.persisted_apq_max_documents,
    )
    check = None if schema is None else document_check(schema, limits or DocumentLimits())
    return PersistedDocuments(
        app,
        registry,
        restricted=frozenset(settings.persisted_only_clients),
        routers=frozenset(settings.router_clients),
        apq=settings.persisted_apq,
        refusals=refusals,
        apq_check=check,
        apq_max_bytes=settings.persisted_apq_max_bytes,
    )
