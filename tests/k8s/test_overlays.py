"""What the overlays change: dev is small and quick, prod is larger, spread and pinned."""

from __future__ import annotations

from typing import Any

from kustomize import containers, split_image
from manifests import COLLECTOR, GATEWAY, RELAY, container, find, find_prefixed, quantity, workloads

Object = dict[str, Any]
Rendered = dict[str, list[Object]]


def test_prod_pins_every_image(rendered: Rendered) -> None:
    for obj, spec in workloads(rendered["prod"]):
        for c in containers(spec):
            name, tag, digest = split_image(c["image"])
            where = f"{obj['metadata']['name']}: {c['image']}"
            assert "/" in name, where  # from a registry, not the logical name of the base
            assert digest or (tag and tag not in {"latest", "dev", "main"}), where
            assert c.get("imagePullPolicy", "IfNotPresent") == "IfNotPresent", where
    collector = container(find(rendered["prod"], *COLLECTOR))
    assert split_image(collector["image"])[2], "the collector is pinned by digest"


def test_dev_runs_its_own_upstreams(rendered: Rendered) -> None:
    dev = rendered["dev"]
    sandbox = find(dev, "Deployment", "sandbox")
    config = find_prefixed(dev, "ConfigMap", "gateway-config")["data"]
    service = find(dev, "Service", "sandbox")
    ports = {p["port"] for p in service["spec"]["ports"]}
    for system in ("SMARTCITY", "PROVINCIAL", "CREDIT"):
        url = config[f"GATEWAY_{system}_URL"]
        host, port = url.removeprefix("http://").split(":")
        assert host == "sandbox" and int(port) in ports, url
    assert container(sandbox)["image"] == container(find(dev, *GATEWAY))["image"]
    assert all(
        o["kind"] != "Deployment" or o["metadata"]["name"] != "sandbox" for o in rendered["prod"]
    )


def test_prod_is_larger_than_dev(rendered: Rendered) -> None:
    dev, prod = (find(rendered[name], *GATEWAY) for name in ("dev", "prod"))
    assert prod["spec"]["replicas"] > dev["spec"]["replicas"] >= 2
    hpa = {n: find(rendered[n], "HorizontalPodAutoscaler", "gateway")["spec"] for n in rendered}
    assert hpa["prod"]["maxReplicas"] > hpa["dev"]["maxReplicas"]
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            sizes = [quantity(container(d)["resources"][kind][resource]) for d in (dev, prod)]
            assert sizes[1] > sizes[0], (kind, resource)
    for workload in (RELAY, COLLECTOR):
        replicas = [find(rendered[n], *workload)["spec"]["replicas"] for n in ("dev", "prod")]
        assert replicas[1] > replicas[0] >= 1, workload


def test_dev_probes_answer_sooner(rendered: Rendered) -> None:
    dev, prod = (container(find(rendered[n], *GATEWAY)) for n in ("dev", "prod"))
    for probe in ("readinessProbe", "livenessProbe"):
        assert dev[probe]["periodSeconds"] < prod[probe]["periodSeconds"], probe


def test_prod_spreads_over_zones(rendered: Rendered) -> None:
    spec = find(rendered["prod"], *GATEWAY)["spec"]["template"]["spec"]
    keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
    assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


def test_each_overlay_sends_traces_somewhere_else(rendered: Rendered) -> None:
    endpoints = {
        name: {e["name"]: e.get("value") for e in container(find(objects, *COLLECTOR))["env"]}[
            "TRACES_BACKEND_ENDPOINT"
        ]
        for name, objects in rendered.items()
    }
    assert endpoints["dev"] != endpoints["prod"]
    samplers = {
        name: float(
            find_prefixed(objects, "ConfigMap", "gateway-config")["data"]["OTEL_TRACES_SAMPLER_ARG"]
        )
        for name, objects in rendered.items()
    }
    assert samplers["prod"] < samplers["dev"] == 1.0
