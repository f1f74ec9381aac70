"""Reading rendered manifests: find objects, their pod templates, label selectors, quantities."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kustomize import containers, pod_spec

Object = dict[str, Any]

GATEWAY = ("Deployment", "gateway")
RELAY = ("Deployment", "outbox-relay")
MIGRATION = ("Job", "gateway-migrate")
COLLECTOR = ("Deployment", "otel-collector")


def find(objects: list[Object], kind: str, name: str) -> Object:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def find_prefixed(objects: list[Object], kind: str, name: str) -> Object:
    """A generated object, named `<name>-<content hash>`."""
    pattern = re.compile(rf"{re.escape(name)}-[a-z0-9]{{10}}")
    found = [o for o in objects if o["kind"] == kind and pattern.fullmatch(o["metadata"]["name"])]
    assert len(found) == 1, f"{kind}/{name}-<hash>: {len(found)} found"
    return found[0]


def of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [o for o in objects if o["kind"] == kind]


def workloads(objects: list[Object]) -> Iterator[tuple[Object, Object]]:
    """Every object with a pod template, with that template's spec."""
    for obj in objects:
        if (spec := pod_spec(obj)) is not None:
            yield obj, spec


def pod_labels(obj: Object) -> dict[str, str]:
    labels: dict[str, str] = obj["spec"]["template"]["metadata"]["labels"]
    return labels


def container(obj: Object, name: str | None = None) -> Object:
    spec = pod_spec(obj)
    assert spec is not None
    found = [c for c in containers(spec) if name is None or c["name"] == name]
    assert len(found) == 1
    return found[0]


def selects(selector: Object, labels: dict[str, str]) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions) against a label set."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


UNITS = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}


def quantity(value: str | int | float) -> float:
    """A resource quantity (`250m`, `1`, `512Mi`) as a number."""
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match, value
    number, unit = match.groups()
    return float(number) * (UNITS[unit] if unit else 1)
