"""Redaction of secrets and personal identifiers from any text bound for a log.

A log line must never carry a bearer token, a JWT, a client secret or API key, a resident ID
number (居民身份证号) or a mobile phone number in clear. ID numbers are masked the way the graph
masks them (`3405**********001X`, DOMAIN §3), phones as `138****5678`; tokens and secrets are
replaced whole. Organisations' credit codes are public (双公示) and stay readable.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SECRET_NAME = r"[\w-]*(?:secret|password|passwd|api[_-]?key|token|signature|credential)[\w-]*"
_VALUE = r"""(?!\[REDACTED\])(?:"[^"]*"|'[^']*'|[^\s,;&"'}\]]+)"""
# key=value (forms, query strings, settings) and "key": value (JSON, dict reprs)
_ASSIGNED = re.compile(rf"""(?i)(\b{_SECRET_NAME}\s*=\s*|["']{_SECRET_NAME}["']\s*:\s*){_VALUE}""")
# Header: value, for the headers that carry credentials (prose such as "token: expired" stays)
_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\bx-api-key|\bx-signature|\bcookie|\bset-cookie)(\s*:\s*)"
    + _VALUE
)
# Not inside a longer word (a trace id is hex); a percent-escape just before counts as a
# boundary, so `code%3A%22<id>%22` in a logged URL is masked too.
_START = r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))"
_END = r"(?![0-9A-Za-z])"
_ID_NUMBER = re.compile(_START + r"(\d{4})\d{10}(\d{3}[\dXx])" + _END)
_MOBILE = re.compile(_START + r"(?:(?:\+|%2[Bb])?86[- ]?)?(1[3-9]\d)\d{4}(\d{4})" + _END)


def redact(text: str) -> str:
    """The text with every secret replaced and every personal identifier masked."""
    if not text:
        return text
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _ASSIGNED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _HEADER.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _ID_NUMBER.sub(r"\1**********\2", text)
    return _MOBILE.sub(r"\1****\2", text)
