"""One clock for the whole product: nothing outside domain/clock.py reads the wall clock for
calendar time. Walks the product's source with `ast` and fails on any use (a call, or a reference
such as a `clock=time.time` default) of `datetime.now`, `datetime.utcnow`, `datetime.today`,
`date.today`, `time.time` or `time.time_ns`, however they were imported. Durations
(`time.monotonic`, `time.perf_counter`) are not calendar time and stay allowed."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("auth", "bench", "casework", "connectors", "domain", "gateway", "sandbox", "schemas")
# The one place allowed to read the wall clock. Nothing else is allow-listed.
ALLOWED = {Path("domain/clock.py")}

CLASS_READS = {"now", "utcnow", "today"}  # datetime.now / .utcnow / .today, date.today
TIME_READS = {"time", "time_ns"}  # time.time, time.time_ns


class WallClockReads:
    def __init__(self) -> None:
        self.datetime_modules: set[str] = set()  # `import datetime [as dt]`
        self.classes: set[str] = set()  # `from datetime import datetime, date [as …]`
        self.time_modules: set[str] = set()  # `import time [as t]`
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.asname or alias.name
            if alias.name == "datetime":
                self.datetime_modules.add(name)
            elif alias.name == "time":
                self.time_modules.add(name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module == "datetime" and alias.name in ("datetime", "date"):
                self.classes.add(alias.asname or alias.name)
            elif node.module == "time" and alias.name in TIME_READS:
                self.found.append((node.lineno, f"from time import {alias.name}"))

    def _is_class(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.classes
        return (
            isinstance(node, ast.Attribute)
            and node.attr in ("datetime", "date")
            and isinstance(node.value, ast.Name)
            and node.value.id in self.datetime_modules
        )

    def _is_time(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.time_modules

    def visit_Attribute(self, node: ast.Attribute) -> None:
        class_read = node.attr in CLASS_READS and self._is_class(node.value)
        if class_read or (node.attr in TIME_READS and self._is_time(node.value)):
            self.found.append((node.lineno, ast.unparse(node)))


def reads_of(source: str) -> list[tuple[int, str]]:
    visitor = WallClockReads()
    # Parsed on a thread of its own: CPython 3.11's AST builder keeps a recursion count per
    # thread that an earlier RecursionError in this thread (the suite's deep-nesting attacks)
    # can leave off ("AST constructor recursion depth mismatch").
    with ThreadPoolExecutor(max_workers=1) as parser:
        tree = parser.submit(ast.parse, source).result()
    # Imports first (they may follow a use in a function body), then every attribute.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            visitor.visit_Import(node)
        elif isinstance(node, ast.ImportFrom):
            visitor.visit_ImportFrom(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            visitor.visit_Attribute(node)
    return sorted(set(visitor.found))


def product_files() -> Iterator[Path]:
    for package in PRODUCT:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_nothing_but_the_clock_reads_the_wall_clock() -> None:
    files = list(product_files())
    assert len(files) > 100  # the walk found the product
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in files
        if path.relative_to(ROOT) not in ALLOWED
        for line, text in reads_of(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "read the product's clock (domain/clock.py) instead:\n" + "\n".join(
        offenders
    )


def test_the_clock_itself_is_the_one_reader() -> None:
    source = (ROOT / "domain/clock.py").read_text(encoding="utf-8")
    assert [text for _, text in reads_of(source)] == ["datetime.now"]  # SystemClock.now


def test_the_walk_sees_every_spelling() -> None:
    source = """
import datetime as dt
import time
from datetime import date, datetime as DT
from time import time_ns

def f(clock=time.time):
    return dt.datetime.now(), DT.utcnow(), date.today(), time.time(), time.monotonic()
"""
    assert reads_of(source) == [
        (5, "from time import time_ns"),
        (7, "time.time"),  # a reference is a read too: whoever calls it reads the wall clock
        (8, "DT.utcnow"),
        (8, "date.today"),
        (8, "dt.datetime.now"),
        (8, "time.time"),
    ]
