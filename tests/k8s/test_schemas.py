"""Every rendered object validates against the Kubernetes API schemas (kubernetes-validate,
strict: an unknown field is an error, as `kubectl apply --validate=strict` would make it)."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils
import pytest
from manifests import GATEWAY, find

# The cluster version the manifests are written for; kubernetes-validate ships 1.25 to 1.37.
KUBERNETES_VERSION = "1.35"


def validate(obj: dict[str, Any]) -> None:
    # It falls back to the newest schemas older than the version asked for: make sure it did not.
    assert kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION


def test_every_object_validates(objects: list[dict[str, Any]]) -> None:
    failures = []
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            validate(obj)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            failures.append(f"{name}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            failures.append(f"{name}: {exc.message}")  # a kind the cluster would not know
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "replicas"), "two"),
        (("spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "pathh"), "/"),
        (("spec", "template", "spec", "securityContext", "runAsUser"), "gateway"),
    ],
)
def test_the_validator_rejects_a_broken_deployment(
    objects: list[dict[str, Any]], path: tuple[str | int, ...], value: Any
) -> None:
    broken = copy.deepcopy(find(objects, *GATEWAY))
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
