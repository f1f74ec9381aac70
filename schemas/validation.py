"""Argument validation shared by several domains."""

from __future__ import annotations

import re

from schemas.errors import BadUserInput

_PATTERN = re.compile(r"^(\*|[1-9]\d{5}(\d{3})?\*?|[1-9]\d{5}:[a-z][a-z0-9_-]*)$")


def tenant_pattern(value: str | None) -> str | None:
    if value is None:
        return None
    if not _PATTERN.match(value):
        raise BadUserInput(
            "租户范围应为代码、前缀加*或* / a tenant pattern is a tenant code, a prefix with *, or *",
            argument="tenantPattern",
        )
    return value
