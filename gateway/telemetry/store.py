"""Database spans for the local store: OpenTelemetry's SQLAlchemy instrumentation on the store
engine's `sync_engine` (the async engine runs its statements there), and on the engine of the
store's plain-row reads (`Store.read_engine`: a synchronous one on SQLite)."""

from __future__ import annotations

import weakref

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

# SQLAlchemyInstrumentor().instrument() works once per process and patches create_engine
# everywhere; the engine-level tracer it uses inside can be attached to each engine instead.
_instrumented: weakref.WeakSet[object] = weakref.WeakSet()


def instrument_engine(engine: AsyncEngine | Engine) -> bool:
    """Attach DB spans to `engine` (once per engine). Returns whether it was attached now."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if sync_engine in _instrumented:
        return False
    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = metrics.get_meter("gateway.store").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, sync_engine, usage)  # type: ignore[no-untyped-call]
    _instrumented.add(sync_engine)
    return True
