"""The page size of a list field (`first`): one check for every list resolver.

The validation rule `PageSizeRule` (schemas/limits.py) refuses a literal `first` outside
1..max_page_size before anything runs. Validation does not see variables, so a size given as one
is checked here, when the resolver runs, with what the rule answers: BAD_USER_INPUT, the same
message, `argument: first`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.errors import BadUserInput
from schemas.limits import page_size_refused

if TYPE_CHECKING:
    from schemas.context import Limits


def page_size(limits: Limits, first: int | None) -> int:
    """The page's size: `first`, else the default; BAD_USER_INPUT outside 1..max_page_size."""
    size = limits.default_page_size if first is None else first
    if not 1 <= size <= limits.max_page_size:
        raise BadUserInput(page_size_refused(limits.max_page_size), argument="first")
    return size
