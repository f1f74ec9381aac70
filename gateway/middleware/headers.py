"""A response header set by the middleware on `http.response.start`, without building a
`MutableHeaders` per response."""

from __future__ import annotations

from starlette.types import Message


def set_header(message: Message, name: bytes, value: bytes) -> None:
    """Set the header `name` (lower case) of a response start message to `value`: the first
    entry of that name replaced and any later ones dropped, else appended (as
    `MutableHeaders(scope=message)[name] = value` does)."""
    headers = list(message.get("headers", ()))
    found = [i for i, (key, _) in enumerate(headers) if key == name]
    for i in reversed(found[1:]):
        del headers[i]
    if found:
        headers[found[0]] = (name, value)
    else:
        headers.append((name, value))
    message["headers"] = headers
