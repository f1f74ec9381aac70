"""The layers of the product and what each may import (docs/architecture.md, DESIGN §1), held
by walking every module's imports with `ast`.

What counts as an import, wherever it stands in a module (at the top, inside a function or a
class, in a `try`): every `import` and `from … import`; relative imports, resolved against the
module's package; and a module named by a string to be imported later:
`importlib.import_module("…")`, `__import__("…")`, `strawberry.lazy("…")`.

Imports under `if TYPE_CHECKING:` count like any other. A type-only import is still an arrow:
the layer cannot be type-checked, read or moved without the other, and the annotation that needs
it usually means the layer handles the other's objects. A failure names them "(under
TYPE_CHECKING)" so the reader knows what kind of import it is, not to excuse it.

The product is the packages pyproject.toml ships (`[tool.setuptools.packages.find] include`);
each must have a row in `LAYERS`, so a new package is placed before it can import anything.
The tests below the real walk feed the checker synthetic trees (tmp_path), one per rule, to
show that each rule fails when broken and names the module, the line and the rule.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The one part of the product that may import `sandbox` (the reference upstreams, the demo world).
DEMO = "gateway.demo"

UPSTREAMS = ("connectors.smartcity", "connectors.provincial", "connectors.credit")


@dataclass(frozen=True)
class Layer:
    may_import: frozenset[str]  # the other top-level packages it may import
    rule: str  # the rule as a failure states it


def layer(*may_import: str, rule: str) -> Layer:
    return Layer(frozenset(may_import), rule)


# Dependencies point one way: gateway → schemas → casework → connectors; schemas → auth,
# gateway → auth; everything → domain. `sandbox` stands apart: it plays the other systems.
LAYERS: dict[str, Layer] = {
    "domain": layer(rule="domain imports nothing of the product but domain (pure values, no I/O)"),
    "auth": layer(
        "domain", rule="auth imports only domain: never connectors, schemas, casework or gateway"
    ),
    "connectors": layer(
        "domain",
        rule="connectors (the adapters) import only domain: never casework, schemas, gateway, "
        "auth or sandbox",
    ),
    "casework": layer(
        "connectors",
        "domain",
        rule="casework (the service layer) imports only connectors and domain: never schemas, "
        "gateway or auth",
    ),
    "schemas": layer(
        "casework",
        "connectors",
        "auth",
        "domain",
        rule="schemas imports casework, connectors, auth and domain: never gateway",
    ),
    "gateway": layer(
        "schemas",
        "casework",
        "connectors",
        "auth",
        "domain",
        rule="gateway (the composition root) may import every layer",
    ),
    "sandbox": layer(
        "domain",
        rule="sandbox (the reference upstreams) imports only domain: it knows nothing of the "
        "product it stands in for",
    ),
}

SANDBOX_RULE = f"nothing in the product imports sandbox except the demo ({DEMO} and its modules)"
SHIPPED_RULE = "the product never imports what is not shipped with it"
STORE_RULE = (
    "connectors.store never imports connectors.outbox or an upstream connector "
    "(the outbox imports the store, one way)"
)
UPSTREAM_RULE = (
    "an upstream connector (smartcity, provincial, credit) never imports another one, "
    "the store, the outbox or the event hub"
)
CASEWORK_UPSTREAM_RULE = (
    "casework takes only an upstream connector's records (connectors.<system>.records): it "
    "reaches the systems through its ports and the outbox, never through a client"
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str  # its file, relative to the tree's root
    line: int
    target: str  # the module imported, dotted
    type_only: bool = False  # under `if TYPE_CHECKING:`
    by_name: bool = False  # named by a string: import_module("…"), strawberry.lazy("…")

    def __str__(self) -> str:
        how = " (under TYPE_CHECKING)" if self.type_only else ""
        how += " (named by a string)" if self.by_name else ""
        return f"{self.path}:{self.line}: {self.module} imports {self.target}{how}"


def top(name: str) -> str:
    return name.split(".", 1)[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# --- the walk --------------------------------------------------------------------------------


def product_packages(root: Path) -> list[str]:
    """The top-level packages pyproject.toml ships."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(pattern.rstrip("*").rstrip(".") for pattern in include)


def unshipped(root: Path, packages: list[str]) -> set[str]:
    """Top-level names of the repository that are not shipped (tests, bench …)."""
    names = {p.stem for p in root.glob("*.py")}
    names |= {p.name for p in root.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    return {n for n in names if not n.startswith(".") and n not in packages}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(root: Path, packages: list[str]) -> dict[str, Path]:
    return {
        module_name(root, path): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _type_only_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside an `if TYPE_CHECKING:` body."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                inside |= {id(n) for n in ast.walk(statement)}
    return inside


DYNAMIC = {"import_module", "__import__", "lazy"}  # importlib, builtins, strawberry.lazy


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def imports_of(
    module: str, source: str, *, is_package: bool, known: Mapping[str, object], path: str = ""
) -> Iterator[Import]:
    """Every import of `module` (see the module docstring for what counts). `from a import b`
    imports the module `a.b` when there is one (`known`), else `a`."""
    tree = ast.parse(source)
    type_only = _type_only_nodes(tree)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source_module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source_module = node.module or ""
            for alias in node.names:
                child = f"{source_module}.{alias.name}"
                targets.append(child if child in known else source_module)
        elif (
            isinstance(node, ast.Call)
            and _called_name(node) in DYNAMIC
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            named = node.args[0].value
            if named.replace(".", "").replace("_", "").isalnum():
                targets = [named]
        by_name = isinstance(node, ast.Call)
        for target in dict.fromkeys(targets):
            yield Import(module, path, node.lineno, target, id(node) in type_only, by_name)


def walk(root: Path, packages: list[str]) -> list[Import]:
    modules = modules_of(root, packages)
    found: list[Import] = []
    for module, path in modules.items():
        found += imports_of(
            module,
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            known=modules,
            path=str(path.relative_to(root)),
        )
    return found


# --- the rules -------------------------------------------------------------------------------


def broken_rule(
    imp: Import, layers: Mapping[str, Layer], packages: list[str], not_shipped: set[str]
) -> str | None:
    """The rule `imp` breaks, or None."""
    source, target = top(imp.module), top(imp.target)
    if target in not_shipped:
        return SHIPPED_RULE
    if target not in packages or target == source:
        if within(imp.module, "connectors.store") and (
            within(imp.target, "connectors.outbox") or any(within(imp.target, u) for u in UPSTREAMS)
        ):
            return STORE_RULE
        for upstream in UPSTREAMS:
            if within(imp.module, upstream):
                others = [u for u in UPSTREAMS if u != upstream]
                others += ["connectors.store", "connectors.outbox", "connectors.events"]
                if any(within(imp.target, o) for o in others):
                    return UPSTREAM_RULE
        return None
    if target == "sandbox":
        return None if within(imp.module, DEMO) else SANDBOX_RULE
    if source not in layers:
        return f"{source} has no row in LAYERS: place the package before it imports anything"
    if target not in layers[source].may_import:
        return layers[source].rule
    if source == "casework":
        for upstream in UPSTREAMS:
            if within(imp.target, upstream) and imp.target != f"{upstream}.records":
                return CASEWORK_UPSTREAM_RULE
    return None


def violations(
    imports: list[Import],
    layers: Mapping[str, Layer],
    packages: list[str],
    not_shipped: set[str],
) -> list[str]:
    return [
        f"{imp} — against the rule: {rule}"
        for imp in imports
        if (rule := broken_rule(imp, layers, packages, not_shipped)) is not None
    ]


def package_cycles(imports: list[Import], packages: list[str]) -> list[str]:
    """Each cycle among the top-level packages, with one import that makes each of its arrows."""
    arrows: dict[str, dict[str, Import]] = {p: {} for p in packages}
    for imp in imports:
        source, target = top(imp.module), top(imp.target)
        if source != target and source in arrows and target in arrows:
            arrows[source].setdefault(target, imp)
    cycles: list[str] = []
    seen: set[tuple[str, ...]] = set()

    def visit(path: list[str]) -> None:
        for nxt in sorted(arrows[path[-1]]):
            if nxt == path[0]:
                key = tuple(sorted(path))
                if key not in seen:
                    seen.add(key)
                    hops = [arrows[a][b] for a, b in zip(path, [*path[1:], path[0]], strict=True)]
                    cycles.append(
                        " → ".join([*path, path[0]]) + ": " + "; ".join(str(h) for h in hops)
                    )
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its least package
                visit([*path, nxt])

    for package in sorted(arrows):
        visit([package])
    return cycles


def check(root: Path, layers: Mapping[str, Layer] = LAYERS) -> list[str]:
    """Every broken rule of the tree at `root` (a pyproject.toml and its packages)."""
    packages = product_packages(root)
    imports = walk(root, packages)
    missing = [
        f"{p}: no row in LAYERS: place the package first" for p in packages if p not in layers
    ]
    cycles = [
        f"an import cycle between top-level packages: {c}"
        for c in package_cycles(imports, packages)
    ]
    return missing + violations(imports, layers, packages, unshipped(root, packages)) + cycles


# --- the product ---------------------------------------------------------------------------


def test_the_product_keeps_its_layers() -> None:
    problems = check(ROOT)
    assert not problems, "imports against the layers (docs/architecture.md):\n" + "\n".join(
        problems
    )


def test_the_walk_sees_the_whole_product() -> None:
    packages = product_packages(ROOT)
    assert set(packages) == set(LAYERS)
    imports = walk(ROOT, packages)
    modules = {imp.module for imp in imports}
    assert len(modules_of(ROOT, packages)) > 150
    assert {"casework.cases", "connectors.store.ledger", "gateway.demo.seed"} <= modules
    found = {(imp.module, imp.target, imp.type_only, imp.by_name) for imp in imports}
    # an import inside a function, a TYPE_CHECKING import, a module named by a string
    assert ("gateway.cli", "gateway.demo.cli", False, False) in found
    assert ("schemas.context", "schemas.loaders", True, False) in found
    assert ("schemas.cases.types", "schemas.subjects.types", False, True) in found
    # `from connectors.store import tables`-style imports name the module, else the package
    assert ("gateway.demo.seed", "connectors.store.tables", False, False) in found
    assert ("gateway.demo.seed", "connectors.store", False, False) in found


def test_only_the_demo_imports_the_sandbox() -> None:
    importers = {
        imp.module for imp in walk(ROOT, product_packages(ROOT)) if top(imp.target) == "sandbox"
    }
    assert importers, "the demo imports the sandbox"
    assert {top(m) for m in importers} <= {"gateway", "sandbox"}
    assert {m for m in importers if top(m) == "gateway"} <= {
        m for m in importers if within(m, DEMO)
    }


def test_the_table_itself_points_one_way() -> None:
    imports = [
        Import(source, "LAYERS", 0, target)
        for source, row in LAYERS.items()
        for target in row.may_import
    ]
    assert package_cycles(imports, list(LAYERS)) == []
    assert LAYERS["domain"].may_import == frozenset()
    for row in LAYERS.values():
        assert "sandbox" not in row.may_import  # the demo's exception is by module, not layer


# --- the checker fails when a rule is broken -------------------------------------------------


def tree(root: Path, files: Mapping[str, str]) -> Path:
    """A synthetic product at `root`: pyproject.toml shipping the real packages, an
    `__init__.py` in every package and the given modules."""
    include = ", ".join(f'"{p}*"' for p in product_packages(ROOT))
    (root / "pyproject.toml").write_text(
        f"[tool.setuptools.packages.find]\ninclude = [{include}]\n", encoding="utf-8"
    )
    for package in product_packages(ROOT):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if str(parent) != ".":
                (root / parent / "__init__.py").touch()
        path.write_text(source, encoding="utf-8")
    return root


BROKEN = [
    pytest.param(
        {"connectors/store/ledger.py": "import os\nfrom casework.ports import Ledger\n"},
        "connectors/store/ledger.py:2: connectors.store.ledger imports casework.ports — "
        f"against the rule: {LAYERS['connectors'].rule}",
        id="connectors-imports-casework",
    ),
    pytest.param(
        {
            "connectors/credit/client.py": "def f():\n    from schemas.errors import ERRORS\n",
        },
        "connectors/credit/client.py:2: connectors.credit.client imports schemas.errors — "
        f"against the rule: {LAYERS['connectors'].rule}",
        id="inside-a-function",
    ),
    pytest.param(
        {
            "casework/cases.py": (
                "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                "    from gateway.services import Services\n"
            ),
        },
        "casework/cases.py:4: casework.cases imports gateway.services (under TYPE_CHECKING) — "
        f"against the rule: {LAYERS['casework'].rule}",
        id="under-type-checking",
    ),
    pytest.param(
        {"casework/acts.py": "import auth.policy\n"},
        f"casework/acts.py:1: casework.acts imports auth.policy — against the rule: "
        f"{LAYERS['casework'].rule}",
        id="casework-imports-auth",
    ),
    pytest.param(
        {
            "schemas/cases/types.py": ('import strawberry\nX = strawberry.lazy("gateway.app")\n'),
        },
        "schemas/cases/types.py:2: schemas.cases.types imports gateway.app (named by a string) "
        "— against the rule: "
        f"{LAYERS['schemas'].rule}",
        id="named-by-a-string",
    ),
    pytest.param(
        {"auth/policy.py": "from connectors.store import Store\n"},
        "auth/policy.py:1: auth.policy imports connectors.store — against the rule: "
        f"{LAYERS['auth'].rule}",
        id="auth-imports-connectors",
    ),
    pytest.param(
        {"domain/enums.py": "import importlib\nm = importlib.import_module('auth.scopes')\n"},
        "domain/enums.py:2: domain.enums imports auth.scopes (named by a string) — "
        "against the rule: "
        f"{LAYERS['domain'].rule}",
        id="domain-imports-auth",
    ),
    pytest.param(
        {"connectors/store/seed.py": "from sandbox.world import World\n"},
        "connectors/store/seed.py:1: connectors.store.seed imports sandbox.world — "
        f"against the rule: {SANDBOX_RULE}",
        id="connectors-imports-sandbox",
    ),
    pytest.param(
        {"gateway/cli.py": "def seed():\n    from sandbox.world import demo_world\n"},
        f"gateway/cli.py:2: gateway.cli imports sandbox.world — against the rule: {SANDBOX_RULE}",
        id="gateway-outside-the-demo-imports-sandbox",
    ),
    pytest.param(
        {"gateway/demonstration.py": "import sandbox.runner\n"},
        "gateway/demonstration.py:1: gateway.demonstration imports sandbox.runner — "
        f"against the rule: {SANDBOX_RULE}",
        id="a-name-like-the-demo-is-not-the-demo",
    ),
    pytest.param(
        {"sandbox/credit.py": "from connectors.credit.contract import PenaltyBody\n"},
        "sandbox/credit.py:1: sandbox.credit imports connectors.credit.contract — "
        f"against the rule: {LAYERS['sandbox'].rule}",
        id="sandbox-imports-connectors",
    ),
    pytest.param(
        {"connectors/store/tables.py": "from ..outbox import messages\n"},
        "connectors/store/tables.py:1: connectors.store.tables imports connectors.outbox — "
        f"against the rule: {STORE_RULE}",
        id="store-imports-outbox-relatively",
    ),
    pytest.param(
        {
            "connectors/outbox/messages.py": "from connectors.store import tables\n",
            "connectors/store/tables.py": "x = 1\n",
            "connectors/store/queries.py": "from connectors.outbox.messages import CASE\n",
        },
        "connectors/store/queries.py:1: connectors.store.queries imports "
        f"connectors.outbox.messages — against the rule: {STORE_RULE}",
        id="store-and-outbox-both-ways",
    ),
    pytest.param(
        {"connectors/store/effects.py": "from connectors.credit.records import Penalty\n"},
        "connectors/store/effects.py:1: connectors.store.effects imports "
        f"connectors.credit.records — against the rule: {STORE_RULE}",
        id="store-imports-an-upstream",
    ),
    pytest.param(
        {"connectors/provincial/client.py": "from connectors.credit import CreditClient\n"},
        "connectors/provincial/client.py:1: connectors.provincial.client imports "
        f"connectors.credit — against the rule: {UPSTREAM_RULE}",
        id="upstream-imports-another",
    ),
    pytest.param(
        {"casework/cases.py": "from connectors.provincial import ProvincialClient\n"},
        "casework/cases.py:1: casework.cases imports connectors.provincial — against the rule: "
        f"{CASEWORK_UPSTREAM_RULE}",
        id="casework-imports-a-client",
    ),
    pytest.param(
        {"gateway/app.py": "from tests.clock import TESTS_DAY\n", "tests/clock.py": "X = 1\n"},
        f"gateway/app.py:1: gateway.app imports tests.clock — against the rule: {SHIPPED_RULE}",
        id="product-imports-tests",
    ),
]


@pytest.mark.parametrize(("files", "expected"), BROKEN)
def test_a_broken_rule_fails_naming_module_line_and_rule(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    problems = check(tree(tmp_path, files))
    assert expected in problems, "\n".join(problems)


def test_what_the_rules_allow_passes(tmp_path: Path) -> None:
    files = {
        "gateway/demo/seed.py": "from sandbox.world import World\n",
        "gateway/demo/__init__.py": "import sandbox.runner\n",
        "gateway/services.py": "import casework, connectors.store, schemas.context, auth, domain\n",
        "schemas/context.py": (
            "from typing import TYPE_CHECKING\nimport casework\nimport auth.policy\n"
            "if TYPE_CHECKING:\n    from schemas.loaders import Loaders\n"
        ),
        "casework/effects.py": (
            "from connectors.credit.records import Penalty\n"
            "from connectors.outbox.messages import case_report\n"
            "from connectors.store.tables import Org\n"
        ),
        "connectors/outbox/queue.py": "from connectors.store.repository import rls_setting\n",
        "connectors/credit/client.py": "from connectors.client import UpstreamClient\n",
        "sandbox/world.py": "from domain.enums import CaseStatus\n",
        "auth/tokens.py": "import domain.clock\nimport joserfc\n",
    }
    assert check(tree(tmp_path, files)) == []


def test_an_import_cycle_between_packages_fails_even_where_the_table_allows_it(
    tmp_path: Path,
) -> None:
    files = {
        "casework/cases.py": "from connectors.store import ledger\n",
        "connectors/store/ledger.py": "def f():\n    import casework.cases\n",
    }
    loose = {**LAYERS, "connectors": layer("domain", "casework", rule="loosened")}
    problems = check(tree(tmp_path, files), loose)
    assert problems == [
        "an import cycle between top-level packages: casework → connectors → casework: "
        "casework/cases.py:1: casework.cases imports connectors.store.ledger; "
        "connectors/store/ledger.py:2: connectors.store.ledger imports casework.cases"
    ]


def test_a_package_without_a_row_fails(tmp_path: Path) -> None:
    root = tree(tmp_path, {"services/cases.py": "import casework\n"})
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"domain*"', '"domain*", "services*"'),
        encoding="utf-8",
    )
    problems = check(root)
    assert "services: no row in LAYERS: place the package first" in problems
