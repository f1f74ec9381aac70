"""Which characters an input string may hold, and how a string is cleaned before the audit
trail keeps it.

Refused in every input string (`forbidden_character`): the C0 control characters except tab,
line feed and carriage return, DEL, the C1 control characters (U+0080 to U+009F), and lone
surrogates. NUL above all: PostgreSQL refuses it in text, and SQLite's LIKE reads a pattern only
up to it. The C0 and C1 controls have no place in a name, a code or a sentence; a lone surrogate
is no character at all and cannot be written as UTF-8. Tab, line feed and carriage return stay
allowed: free text (a case's facts, a party's statement of defence, an evidence description) is
pasted in with its lines and tabs. A field with a stricter form (codes, numbers, tenant patterns)
checks that form itself.

The audit trail keeps no control character at all (`without_controls`): its strings are
identifiers and names, and a line break there only forges log lines.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(value: str) -> str | None:
    """The first character of `value` no input may hold, or None."""
    found = _FORBIDDEN.search(value)
    return found.group() if found else None


def describe(character: str) -> str:
    """`U+0000` for a message (never the character itself)."""
    return f"U+{ord(character):04X}"


def without_controls(value: str) -> str:
    """`value` with every control character (tab and line breaks included) and lone surrogate
    removed."""
    return _CONTROLS.sub("", value)
