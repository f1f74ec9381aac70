"""A small kustomize: exactly the features `k8s/` uses, nothing else.

No kustomize binary can be installed from the registries this project uses, so the tests render
the overlays here. `kubectl kustomize k8s/overlays/<name>` renders the same objects (checked by
test_kustomize.py whenever kubectl is on the PATH). A kustomization, generator, label set, image
or patch that uses anything not listed below is refused with `Unsupported`, never half-applied.

Supported: `resources` (files and directories), `namespace`, `labels` (pairs only: no selectors,
no templates), `configMapGenerator` (`envs`, `files`; behaviour create, merge or replace; the
content hash appended to the name and every reference in a pod spec rewritten), `patches`
(strategic merge, the target named by the patch's kind and name), `images` (`newName`,
`newTag`, `digest`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]

KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "configMapGenerator",
    "patches",
    "images",
}
GENERATOR_KEYS = {"name", "behavior", "envs", "files"}
IMAGE_KEYS = {"name", "newName", "newTag", "digest"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Strategic-merge keys of the lists the overlays patch (from the Kubernetes API types); any other
# list is replaced whole, as the API server does for lists without a patch strategy.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "topologySpreadConstraints": "topologyKey",
}


class Unsupported(ValueError):
    """The kustomization asks for a feature this renderer does not implement."""


@dataclass
class Resource:
    obj: Object
    generated: bool = False  # a configMapGenerator output: named with its content hash at the end

    @property
    def key(self) -> tuple[str, str, str]:
        meta = self.obj["metadata"]
        return (self.obj["kind"], meta.get("namespace", ""), meta["name"])


def build(directory: Path) -> list[Object]:
    """Render the kustomization in `directory` like `kubectl kustomize directory`."""
    resources = _kustomize(Path(directory))
    renames: dict[str, str] = {}
    for resource in resources:
        if resource.generated:
            meta = resource.obj["metadata"]
            renames[meta["name"]] = f"{meta['name']}-{config_map_hash(resource.obj)}"
            meta["name"] = renames[meta["name"]]
    for resource in resources:
        if (spec := pod_spec(resource.obj)) is not None:
            _rename_config_maps(spec, renames)
    return [resource.obj for resource in resources]


def config_map_hash(config_map: Object) -> str:
    """kustomize's name suffix: sha256 over the JSON of kind and data (its `metadata/name` lookup
    always comes back empty, so the name is "" in every version shipped so far)."""
    encoded = json.dumps(
        {"data": config_map.get("data", {}), "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # Go's encoding/json escapes these; the hash has to see the same bytes.
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escape)
    encoded = encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def pod_spec(obj: Object) -> Object | None:
    if obj.get("kind") in WORKLOADS:
        spec: Object = obj["spec"]["template"]["spec"]
        return spec
    if obj.get("kind") == "CronJob":
        spec = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    return None


def containers(spec: Object) -> Iterator[Object]:
    yield from spec.get("initContainers", [])
    yield from spec.get("containers", [])


def _kustomize(directory: Path) -> list[Resource]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    _refuse_unknown("kustomization", kustomization, KUSTOMIZATION_KEYS)
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            resources += _kustomize(path)
        else:
            resources += [Resource(obj) for obj in _load_all(path)]
    for generator in kustomization.get("configMapGenerator", []):
        _generate(resources, generator, directory)
    for patch in kustomization.get("patches", []):
        _refuse_unknown("patch", patch, {"path"})
        for doc in _load_all(directory / patch["path"]):
            _merge(_find(resources, doc["kind"], doc["metadata"]["name"]).obj, doc)
    if namespace := kustomization.get("namespace"):
        for resource in resources:
            if resource.obj["kind"] not in CLUSTER_SCOPED:
                resource.obj["metadata"]["namespace"] = namespace
    for labels in kustomization.get("labels", []):
        _refuse_unknown("labels", labels, {"pairs", "includeSelectors", "includeTemplates"})
        if labels.get("includeSelectors") or labels.get("includeTemplates"):
            raise Unsupported("labels: includeSelectors/includeTemplates")
        for resource in resources:
            resource.obj["metadata"].setdefault("labels", {}).update(labels["pairs"])
    for image in kustomization.get("images", []):
        _refuse_unknown("images", image, IMAGE_KEYS)
        for resource in resources:
            if (spec := pod_spec(resource.obj)) is not None:
                for container in containers(spec):
                    container["image"] = set_image(container["image"], image)
    keys = [resource.key for resource in resources]
    if duplicates := {key for key in keys if keys.count(key) > 1}:
        raise ValueError(f"{directory}: the same object twice: {sorted(duplicates)}")
    return resources


def _load_all(path: Path) -> list[Object]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _refuse_unknown(what: str, entry: Object, allowed: set[str]) -> None:
    if unknown := set(entry) - allowed:
        raise Unsupported(f"{what}: {sorted(unknown)}")


def _find(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r.obj["kind"] == kind and r.obj["metadata"]["name"] == name]
    if len(found) != 1:
        raise ValueError(f"patch target {kind}/{name}: {len(found)} matches")
    return found[0]


def _generate(resources: list[Resource], generator: Object, directory: Path) -> None:
    _refuse_unknown("configMapGenerator", generator, GENERATOR_KEYS)
    data: dict[str, str] = {}
    for env in generator.get("envs", []):
        data.update(read_env(directory / env))
    for source in generator.get("files", []):
        key, sep, path = source.partition("=")
        if not sep:
            key, path = Path(source).name, source
        data[key] = (directory / path).read_text(encoding="utf-8")
    name, behavior = generator["name"], generator.get("behavior", "create")
    existing = [r for r in resources if r.generated and r.obj["metadata"]["name"] == name]
    if behavior == "create" and not existing:
        config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
        resources.append(Resource(config_map | {"data": data}, generated=True))
    elif behavior == "merge" and existing:
        existing[0].obj["data"].update(data)
    elif behavior == "replace" and existing:
        existing[0].obj["data"] = data
    else:
        raise ValueError(f"configMapGenerator {name}: behavior {behavior!r}, {len(existing)} found")


def read_env(path: Path) -> dict[str, str]:
    """An env file as kustomize reads it: KEY=VALUE lines, `#` comments, leading blanks ignored,
    the value kept verbatim (no quotes removed)."""
    data: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.replace("_", "").isalnum() or key[0].isdigit():
            # A bare KEY would be read from kustomize's own environment: never in this repo.
            raise Unsupported(f"{path}:{number}: not a KEY=VALUE line")
        data[key] = value
    return data


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`registry:5000/name:tag@sha256:…` → (name with registry, tag, digest)."""
    image, _, digest = image.partition("@")
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest or None
    return image, None, digest or None


def set_image(current: str, image: Object) -> str:
    name, tag, digest = split_image(current)
    if name != image["name"]:
        return current
    name = image.get("newName", name)
    if "digest" in image:  # a new digest drops the old tag unless newTag names one
        tag, digest = None, image["digest"]
    if "newTag" in image:
        tag = str(image["newTag"])
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _merge(dest: Object, patch: Object) -> None:
    """Strategic merge of `patch` into `dest`, in place."""
    for key, value in patch.items():
        if key.startswith("$"):
            raise Unsupported(f"patch directive {key}")
        if value is None:
            dest.pop(key, None)
        elif isinstance(value, dict) and isinstance(dest.get(key), dict):
            _merge(dest[key], value)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(dest.get(key), list):
            dest[key] = _merge_list(dest[key], value, MERGE_KEYS[key])
        else:
            dest[key] = copy.deepcopy(value)


def _merge_list(dest: list[Object], patch: list[Object], key: str) -> list[Object]:
    # The API server's order: the patch's items first (merged into their namesakes), then the
    # remaining items of the original in their order.
    by_key = {item[key]: item for item in dest}
    merged = []
    for item in patch:
        target = copy.deepcopy(by_key.get(item[key], {}))
        _merge(target, item)
        merged.append(target)
    patched = {item[key] for item in patch}
    return merged + [item for item in dest if item[key] not in patched]


def _rename_config_maps(spec: Object, renames: dict[str, str]) -> None:
    def rename(ref: Object | None) -> None:
        if ref and ref.get("name") in renames:
            ref["name"] = renames[ref["name"]]

    for volume in spec.get("volumes", []):
        rename(volume.get("configMap"))
        for source in volume.get("projected", {}).get("sources", []):
            rename(source.get("configMap"))
    for container in containers(spec):
        for source in container.get("envFrom", []):
            rename(source.get("configMapRef"))
        for env in container.get("env", []):
            rename(env.get("valueFrom", {}).get("configMapKeyRef"))
