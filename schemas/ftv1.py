"""Inline federated traces (`ftv1`) for routers that ask for them (issue 11, item 7).

A router reporting usage (Apollo Gateway/GraphOS Router with usage reporting, Hive's tracing)
sends `apollo-federation-include-trace: ftv1` on its fetches and reads `extensions.ftv1`: a
base64 protobuf `Trace` (Apollo's reports.proto). This trace is per operation, like the gateway's
own span (schemas/tracing.py, never one per field): start and end time, duration, and the errors
each at its response path, so the router attributes them to the right field. Without the header
nothing is recorded. The protobuf is written by hand (varints and length-delimited fields): four
message types are not worth a generated module.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

HEADER = "apollo-federation-include-trace"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _uint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _timestamp(field: int, seconds: float) -> bytes:
    whole = int(seconds)
    return _bytes(field, _uint(1, whole) + _uint(2, int((seconds - whole) * 1e9)))


class _Node:
    def __init__(self) -> None:
        self.children: dict[str | int, _Node] = {}
        self.errors: list[bytes] = []

    def at(self, path: list[str | int]) -> _Node:
        node = self
        for key in path:
            node = node.children.setdefault(key, _Node())
        return node

    def encode(self, key: str | int | None = None) -> bytes:
        out = b""
        if isinstance(key, str):
            out += _bytes(1, key.encode("utf-8"))  # response_name
        elif isinstance(key, int):
            out += _uint(2, key)  # index
        out += b"".join(_bytes(11, error) for error in self.errors)
        out += b"".join(_bytes(12, child.encode(k)) for k, child in self.children.items())
        return out


def _error(error: GraphQLError) -> bytes:
    out = _bytes(1, error.message.encode("utf-8"))
    for location in error.locations or ():
        out += _bytes(2, _uint(1, location.line) + _uint(2, location.column))
    return out + _bytes(4, json.dumps(error.formatted, ensure_ascii=False).encode("utf-8"))


def encode_trace(start: float, end: float, duration_ns: int, errors: list[GraphQLError]) -> bytes:
    root = _Node()
    for error in errors:
        root.at(list(error.path or ())).errors.append(_error(error))
    return (
        _timestamp(4, start)  # start_time
        + _timestamp(3, end)  # end_time
        + _uint(11, duration_ns)
        + _bytes(14, root.encode())  # root
    )


class FederatedTrace(SchemaExtension):
    """`extensions.ftv1` when the request asks for it; nothing otherwise."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        headers = getattr(getattr(context, "request", None), "headers", None)
        self.wanted = headers is not None and headers.get(HEADER) == "ftv1"
        if self.wanted:  # the product's clock (domain/clock.py) for the wall time
            self.start = context.services.clock.timestamp()
            self.clock = time.perf_counter_ns()
        yield

    def get_results(self) -> dict[str, Any]:
        if not getattr(self, "wanted", False):
            return {}
        duration = time.perf_counter_ns() - self.clock
        result = self.execution_context.result
        errors = list(getattr(result, "errors", None) or ())
        trace = encode_trace(self.start, self.start + duration / 1e9, duration, errors)
        return {"ftv1": base64.b64encode(trace).decode("ascii")}
