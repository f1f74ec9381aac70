"""The small kustomize renders what `kubectl kustomize` renders, and refuses what it cannot."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import K8S, OVERLAYS
from kustomize import Unsupported, build, config_map_hash, set_image, split_image


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def hashed(name: str, data: dict[str, str]) -> str:
    return f"{name}-{config_map_hash({'data': data})}"


def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objects
    }


def same_as_kubectl(directory: Path) -> None:
    """Where kubectl is installed, the real kustomize renders `directory` the same."""
    if (kubectl := shutil.which("kubectl")) is None:
        return
    real = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True
    ).stdout
    assert by_key(build(directory)) == by_key([o for o in yaml.safe_load_all(real) if o])


DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      template:
        spec:
          containers:
            - name: c
              image: registry:5000/team/app:1.0
              env: [{name: A, value: "1"}, {name: B, value: "2"}]
              envFrom: [{configMapRef: {name: settings}}]
              volumeMounts: [{name: v, mountPath: /a}]
            - name: e
              image: other
          volumes:
            - name: v
              configMap: {name: files}
            - name: p
              projected: {sources: [{configMap: {name: files}}]}
"""


@pytest.mark.parametrize("target", ["base", *(f"overlays/{name}" for name in OVERLAYS)])
def test_renders_what_kubectl_kustomize_renders(target: str) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the cross-check with the real kustomize is skipped")
    real = subprocess.run(
        [kubectl, "kustomize", str(K8S / target)], capture_output=True, text=True, check=True
    ).stdout
    theirs = by_key([o for o in yaml.safe_load_all(real) if o])
    ours = by_key(build(K8S / target))
    assert sorted(ours) == sorted(theirs)
    for key, obj in ours.items():
        assert obj == theirs[key], key


def test_config_map_hash_is_kustomizes() -> None:
    # Names printed by `kubectl kustomize` (kustomize v5.5.0) for these data.
    assert config_map_hash({"data": {"X": "1"}}) == "4f64tg9ch6"
    assert config_map_hash({"data": {"K": "a<b>&c", "L": "综合执法"}}) == "g6md949289"


def test_strategic_merge_follows_the_api_servers_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [d.yaml]\n",
            "base/d.yaml": DEPLOYMENT,
            "overlay/kustomization.yaml": "resources: [../base]\npatches: [{path: p.yaml}]\n",
            "overlay/p.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  template:
                    spec:
                      containers:
                        - name: z
                          image: zz
                        - name: c
                          env: [{name: D, value: "4"}, {name: A, value: "9"}, {name: C, value: "3"}]
                          envFrom: [{secretRef: {name: replaced}}]
                          volumeMounts: [{name: w, mountPath: /b}]
                          image: null
            """,
        },
    )
    (deployment,) = build(tmp_path / "overlay")
    pod = deployment["spec"]["template"]["spec"]
    # Kept in kubectl's order: the patch's items first, then the rest of the original.
    assert [c["name"] for c in pod["containers"]] == ["z", "c", "e"]
    c = pod["containers"][1]
    assert c["env"] == [
        {"name": "D", "value": "4"},
        {"name": "A", "value": "9"},
        {"name": "C", "value": "3"},
        {"name": "B", "value": "2"},
    ]
    assert [m["mountPath"] for m in c["volumeMounts"]] == ["/b", "/a"]
    assert c["envFrom"] == [{"secretRef": {"name": "replaced"}}]  # no merge key: replaced
    assert "image" not in c  # null deletes
    same_as_kubectl(tmp_path / "overlay")


def test_generated_config_maps_are_hashed_and_referenced(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/kustomization.yaml": """
                resources: [d.yaml]
                configMapGenerator:
                  - {name: settings, envs: [a.env]}
                  - {name: files, files: [conf.yaml, renamed.txt=other.txt]}
            """,
            "base/d.yaml": DEPLOYMENT,
            "base/a.env": "# comment\n\nA=1\n  B=two words  \n",
            "base/conf.yaml": "x: 1\n",
            "base/other.txt": "text",
            "overlay/kustomization.yaml": """
                resources: [../base]
                namespace: ns
                configMapGenerator:
                  - {name: settings, behavior: merge, envs: [b.env]}
                  - {name: files, behavior: replace, files: [conf.yaml]}
            """,
            "overlay/b.env": "A=3\nC=4\n",
            "overlay/conf.yaml": "x: 2\n",
        },
    )
    objects = by_key(build(tmp_path / "overlay"))
    settings_data = {"A": "3", "B": "two words  ", "C": "4"}
    settings = hashed("settings", settings_data)
    files = hashed("files", {"conf.yaml": "x: 2\n"})
    assert objects["ConfigMap", "ns", settings]["data"] == settings_data
    assert objects["ConfigMap", "ns", files]["data"] == {"conf.yaml": "x: 2\n"}
    pod = objects["Deployment", "ns", "d"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["envFrom"] == [{"configMapRef": {"name": settings}}]
    assert pod["volumes"][0]["configMap"]["name"] == files
    assert pod["volumes"][1]["projected"]["sources"][0]["configMap"]["name"] == files
    same_as_kubectl(tmp_path / "overlay")

    base = by_key(build(tmp_path / "base"))
    assert {k[2] for k in base if k[0] == "ConfigMap"} == {
        hashed("settings", {"A": "1", "B": "two words  "}),
        hashed("files", {"conf.yaml": "x: 1\n", "renamed.txt": "text"}),
    }


def test_namespace_labels_and_images(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": """
                resources: [d.yaml, ns.yaml]
                namespace: prod
                labels: [{pairs: {team: enforcement}}]
                images:
                  - {name: registry:5000/team/app, newName: example.org/app, digest: "sha256:ab"}
                  - {name: other, newTag: "2"}
            """,
            "d.yaml": DEPLOYMENT,
            "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n",
        },
    )
    objects = by_key(build(tmp_path))
    deployment = objects["Deployment", "prod", "d"]
    assert deployment["metadata"]["labels"] == {"team": "enforcement"}
    assert "labels" not in deployment["spec"]["template"].get("metadata", {})  # no templates
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert images == ["example.org/app@sha256:ab", "other:2"]
    assert "namespace" not in objects["Namespace", "", "prod"]["metadata"]
    same_as_kubectl(tmp_path)


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("app", ("app", None, None)),
        ("app:1.0", ("app", "1.0", None)),
        ("localhost:5001/app", ("localhost:5001/app", None, None)),
        ("localhost:5001/team/app:dev", ("localhost:5001/team/app", "dev", None)),
        ("otel/c:0.1@sha256:ff", ("otel/c", "0.1", "sha256:ff")),
        ("otel/c@sha256:ff", ("otel/c", None, "sha256:ff")),
    ],
)
def test_split_image(image: str, parts: tuple[str, str | None, str | None]) -> None:
    assert split_image(image) == parts


def test_set_image() -> None:
    assert set_image("app:1", {"name": "app", "newTag": "2"}) == "app:2"
    assert set_image("app:1", {"name": "app", "newName": "r/app"}) == "r/app:1"
    assert set_image("app:1", {"name": "app", "digest": "sha256:ff"}) == "app@sha256:ff"
    assert set_image("app:1", {"name": "app", "newTag": "2", "digest": "sha256:ff"}) == (
        "app:2@sha256:ff"
    )
    assert set_image("app@sha256:ee", {"name": "app", "newName": "r/app"}) == "r/app@sha256:ee"
    assert set_image("apps:1", {"name": "app", "newTag": "2"}) == "apps:1"


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [d.yaml]\nnamePrefix: x-\n",
        "resources: [d.yaml]\ncommonLabels: {a: b}\n",
        "resources: [d.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n",
        "resources: [d.yaml]\nconfigMapGenerator: [{name: c, literals: [A=1]}]\n",
        "resources: [d.yaml]\npatches: [{path: p.yaml, target: {kind: Deployment}}]\n",
        "resources: [d.yaml]\npatches: [{path: directive.yaml}]\n",
        "resources: [d.yaml]\nconfigMapGenerator: [{name: c, envs: [bare.env]}]\n",
        "resources: [d.yaml]\nimages: [{name: app, newImage: x}]\n",
    ],
)
def test_refuses_what_it_does_not_implement(tmp_path: Path, kustomization: str) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": kustomization,
            "d.yaml": DEPLOYMENT,
            "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n",
            "directive.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
            "spec: {$patch: replace}\n",
            "bare.env": "FROM_MY_SHELL\n",
        },
    )
    with pytest.raises(Unsupported):
        build(tmp_path)


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [d.yaml, d.yaml]\n",
        "resources: [d.yaml]\npatches: [{path: missing-target.yaml}]\n",
        "resources: [d.yaml]\nconfigMapGenerator: [{name: c, behavior: merge, envs: [a.env]}]\n",
        "configMapGenerator: [{name: c, envs: [a.env]}, {name: c, envs: [a.env]}]\n",
    ],
)
def test_refuses_inconsistent_kustomizations(tmp_path: Path, kustomization: str) -> None:
    write(
        tmp_path,
        {
            "kustomization.yaml": kustomization,
            "d.yaml": DEPLOYMENT,
            "a.env": "A=1\n",
            "missing-target.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
        },
    )
    with pytest.raises(ValueError):
        build(tmp_path)
