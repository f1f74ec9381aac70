"""The per-request context every resolver receives: who is asking, the services the gateway built
once (connector clients, the store, the use cases, the clock and calendar, the case-event hub),
and this request's own loaders (never shared across requests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket

from auth.lookups import PersonLookups
from auth.principal import Principal
from auth.signatures import DocumentSignatures
from casework import AfterCommit, CaseWork, LinkedActions, TransferWork
from casework.supervision import SupervisionWork
from connectors.credit import CreditClient
from connectors.events import CaseEventHub
from connectors.provincial import ProvincialClient
from connectors.smartcity import SmartCityClient
from connectors.store import Store
from domain.calendar import HolidayCalendar
from domain.clock import Clock
from schemas.errors import Unauthenticated

if TYPE_CHECKING:
    from schemas.loaders import Loaders


@dataclass(frozen=True)
class Services:
    """Everything long-lived, built once by the gateway (gateway/services.py) and shared by all
    requests: the connector clients and the store; the product's one clock (domain/clock.py:
    every "now" and "today" a resolver needs) and holiday calendar (GATEWAY_HOLIDAY_CALENDAR:
    every working day); the use cases the mutations call, all on one ledger with the same
    after-commit `hooks` (the relay's wake-up, the case events); the case-event hub the
    `caseEvents` subscription listens to; the budget of lookups by ID number."""

    store: Store
    smartcity: SmartCityClient
    provincial: ProvincialClient
    credit: CreditClient
    clock: Clock
    calendar: HolidayCalendar
    casework: CaseWork
    transfers: TransferWork
    linked_actions: LinkedActions
    supervision: SupervisionWork  # complaints, granted powers, training (issue 15)
    case_events: CaseEventHub
    hooks: AfterCommit
    # the miss budget of lookups by a person's ID number (auth/lookups.py)
    person_lookups: PersonLookups
    # an act dated more than this before its entry is late (补录, a reason needed); None: never
    late_entry_window: timedelta | None = None
    # checks the signatures of key documents (auth/signatures.py); None: not checked
    signatures: DocumentSignatures | None = None
    # the secret of natural persons' opaque Subject keys (domain/subject_keys.py)
    subject_key_secret: bytes = b"development subject key: set GATEWAY_SUBJECT_KEY_SECRET"


@dataclass(frozen=True)
class Limits:
    default_page_size: int = 20
    max_page_size: int = 100
    loader_hops: int = 4
    websocket_operations: bool = False  # queries and mutations over the websocket too


@dataclass
class Context:
    principal: Principal | None
    services: Services
    limits: Limits
    request_id: str
    request: Request | WebSocket | None = None
    over_websocket: bool = False  # an operation sent over graphql-transport-ws
    # the `connection_init` payload of the websocket (Strawberry sets it)
    connection_params: dict[str, object] | None = None
    _loaders: Loaders | None = field(default=None, repr=False)
    # Authorization decided once per operation (schemas/permissions.py): field permissions and
    # personal-data decisions per record tenant, for this context's principal.
    decisions: dict[object, bool] = field(default_factory=dict, repr=False)
    decisions_of: Principal | None = field(default=None, repr=False)  # whose decisions they are

    @property
    def loaders(self) -> Loaders:
        # Built on first use so that a request that touches no loader pays nothing.
        if self._loaders is None:
            from schemas.loaders import Loaders

            self._loaders = Loaders.create(self)
        return self._loaders

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("需要登录 / authentication required")
        return self.principal


# What every resolver receives as `info`: this request's `Context`; the root value is None.
Info: TypeAlias = strawberry.Info[Context, None]
