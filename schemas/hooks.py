"""Schema extensions' hooks, worked out once per extension class instead of on every operation.

For each operation Strawberry builds four context managers (operation, validation, parsing,
execution), and each asks every extension whether it has that hook and of which kind
(generator, async generator, plain or async function): `inspect` calls and a new
`contextlib.contextmanager` wrapper per extension per stage, about forty per operation. The
answer depends only on the extension's class, so `HookRunner` keeps it per (stage, class) and
binds it to the operation's extension instance with one `partial`. What runs, and in which
order, is Strawberry's own (`ExtensionContextManagerBase` enters and exits the hooks).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

# (stage, extension class) -> (context-manager factory taking the extension, is async); None when
# the class does not implement the stage's hook; False for a plain-function hook, which Strawberry
# wraps itself. Classes are few and fixed at start-up.
_Found = tuple[Callable[[SchemaExtension], Any], bool] | Literal[False] | None
_FOUND: dict[tuple[str, type[SchemaExtension]], _Found] = {}


def _find(stage: str, cls: type[SchemaExtension]) -> _Found:
    hook = getattr(cls, stage)
    if hook is getattr(SchemaExtension, stage):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return False


class _CachedHooks(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        key = (self.HOOK_NAME, type(extension))
        try:
            found = _FOUND[key]
        except KeyError:
            found = _FOUND[key] = _find(*key)
        if found is None:
            return None
        if found is False:
            return super().get_hook(extension)
        factory, is_async = found
        return WrappedHook(extension=extension, hook=partial(factory, extension), is_async=is_async)


class _Operation(_CachedHooks, OperationContextManager):
    pass


class _Validation(_CachedHooks, ValidationContextManager):
    pass


class _Parsing(_CachedHooks, ParsingContextManager):
    pass


class _Executing(_CachedHooks, ExecutingContextManager):
    pass


class HookRunner(SchemaExtensionsRunner):
    """`Schema.create_extensions_runner`'s runner with the hooks found once per class."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
