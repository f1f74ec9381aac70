"""Database spans for the local store: OpenTelemetry's SQLAlchemy instrumentation on the store
engine's `sync_engine` (the async engine runs its statements there), and on the engine of the
store's plain-row reads (`Store.read_engine`: a synchronous one on SQLite). While nothing records
(no exporter: provider.py) a statement gets no span object at all."""

from __future__ import annotations

import weakref

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.telemetry.provider import quiet_provider

# SQLAlchemyInstrumentor().instrument() works once per process and patches create_engine
# everywhere; the engine-level tracer it uses inside can be attached to each engine instead.
_instrumented: weakref.WeakSet[object] = weakref.WeakSet()


class StoreSpans(EngineTracer):
    """The instrumentation's tracer, skipped while the provider records nothing: its span would
    be dropped, and starting one (sampler, ids, context) costs more than an indexed read."""

    def __init__(
        self,
        tracer: trace.Tracer,
        engine: Engine,
        usage: metrics.UpDownCounter,
        provider: trace.TracerProvider | None = None,
    ) -> None:
        super().__init__(tracer, engine, usage)  # type: ignore[no-untyped-call]
        self.provider = provider  # the process-wide one unless given (tests)

    def _before_cur_exec(  # type: ignore[no-untyped-def]
        self, conn, cursor, statement, params, context, executemany
    ):
        if quiet_provider(self.provider) is not None:
            return statement, params
        return super()._before_cur_exec(  # type: ignore[no-untyped-call]
            conn, cursor, statement, params, context, executemany
        )


def instrument_engine(engine: AsyncEngine | Engine) -> bool:
    """Attach DB spans to `engine` (once per engine). Returns whether it was attached now."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if sync_engine in _instrumented:
        return False
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = metrics.get_meter("gateway.store").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    StoreSpans(tracer, sync_engine, usage)
    _instrumented.add(sync_engine)
    return True
