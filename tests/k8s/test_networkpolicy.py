"""Network policies: deny by default; each workload reaches only its listed destinations (the
upstreams, the database, Redis, the collector, DNS) and is reached only by its listed callers.

A policy's destination is named by the policy: the overlays replace one policy's `egress` to
point at their own systems, and an egress policy this file does not know fails the tests."""

from __future__ import annotations

import ipaddress
from typing import Any

from kustomize import containers, pod_spec
from manifests import COLLECTOR, GATEWAY, MIGRATION, RELAY, find, find_prefixed, of_kind, selects

Object = dict[str, Any]

DESTINATIONS = {
    "allow-dns": "dns",
    "allow-egress-upstreams": "upstreams",
    "allow-egress-database": "database",
    "allow-egress-redis": "redis",
    "allow-egress-collector": "collector",
    "allow-egress-trace-backend": "trace-backend",
}
ALLOWED = {
    GATEWAY: {"dns", "upstreams", "database", "redis", "collector"},
    RELAY: {"dns", "upstreams", "database", "redis", "collector"},
    MIGRATION: {"dns", "database"},
    COLLECTOR: {"dns", "trace-backend"},
}


def labels_of(obj: Object) -> dict[str, str]:
    labels: dict[str, str] = obj["spec"]["template"]["metadata"]["labels"]
    return labels


def policies_for(objects: list[Object], obj: Object, direction: str) -> list[Object]:
    return [
        policy
        for policy in of_kind(objects, "NetworkPolicy")
        if direction in policy["spec"]["policyTypes"]
        and selects(policy["spec"]["podSelector"], labels_of(obj))
    ]


def destinations(objects: list[Object], obj: Object) -> set[str]:
    found = set()
    for policy in policies_for(objects, obj, "Egress"):
        if policy["spec"].get("egress"):
            name = policy["metadata"]["name"]
            assert name in DESTINATIONS, f"egress policy {name}: which destination is it?"
            found.add(DESTINATIONS[name])
    return found


def test_everything_is_denied_by_default(objects: list[Object]) -> None:
    policy = find(objects, "NetworkPolicy", "default-deny")
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_each_workload_reaches_only_its_destinations(objects: list[Object]) -> None:
    for workload, allowed in ALLOWED.items():
        assert destinations(objects, find(objects, *workload)) <= allowed, workload
    assert destinations(objects, find(objects, *GATEWAY)) == ALLOWED[GATEWAY]
    assert destinations(objects, find(objects, *RELAY)) == ALLOWED[RELAY]
    for obj in objects:
        if pod_spec(obj) is not None and (obj["kind"], obj["metadata"]["name"]) not in ALLOWED:
            assert destinations(objects, obj) <= {"dns"}, obj["metadata"]["name"]


def test_every_egress_rule_is_narrow(objects: list[Object]) -> None:
    for policy in of_kind(objects, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            name = policy["metadata"]["name"]
            # An empty `to` or `ports` would allow every destination or every port.
            assert rule.get("to") and rule.get("ports"), name
            for peer in rule["to"]:
                if "ipBlock" in peer:
                    network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                    assert network.prefixlen >= network.max_prefixlen // 2, (name, network)
                    assert "except" not in peer["ipBlock"], name
                else:
                    selectors = [peer.get("namespaceSelector"), peer.get("podSelector")]
                    # `{}` selects every namespace or every pod: always name one.
                    assert all(s is None or s.get("matchLabels") for s in selectors), name


def test_dns_is_the_cluster_dns(objects: list[Object]) -> None:
    (rule,) = find(objects, "NetworkPolicy", "allow-dns")["spec"]["egress"]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]


def test_the_collector_rule_reaches_the_collector_pods(objects: list[Object]) -> None:
    collector = find(objects, *COLLECTOR)
    (rule,) = find(objects, "NetworkPolicy", "allow-egress-collector")["spec"]["egress"]
    (peer,) = rule["to"]
    assert set(peer) == {"podSelector"}  # this namespace
    assert selects(peer["podSelector"], labels_of(collector))
    collector_ports = {
        p["containerPort"] for c in containers(pod_spec(collector) or {}) for p in c["ports"]
    }
    allowed = {p["port"] for p in rule["ports"]}
    assert allowed <= collector_ports
    endpoint = find_prefixed(objects, "ConfigMap", "gateway-config")["data"]
    host, port = endpoint["OTEL_EXPORTER_OTLP_ENDPOINT"].removeprefix("http://").split(":")
    service = find(objects, "Service", host)
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == int(port)]
    assert int(port) in allowed
    assert selects({"matchLabels": service["spec"]["selector"]}, labels_of(collector))
    assert service_port["targetPort"] in {
        p["name"] for c in containers(pod_spec(collector) or {}) for p in c["ports"]
    }


def test_only_the_gateway_and_the_collector_accept_connections(objects: list[Object]) -> None:
    gateway, collector = find(objects, *GATEWAY), find(objects, *COLLECTOR)
    for workload in (RELAY, MIGRATION):
        obj = find(objects, *workload)
        rules = [
            r for p in policies_for(objects, obj, "Ingress") for r in p["spec"].get("ingress", [])
        ]
        assert rules == [], workload
    gateway_rules = [
        r for p in policies_for(objects, gateway, "Ingress") for r in p["spec"].get("ingress", [])
    ]
    assert gateway_rules
    for rule in gateway_rules:
        assert rule.get("from"), "an ingress rule without `from` admits anyone"
        assert [(p["protocol"], p["port"]) for p in rule["ports"]] == [("TCP", 8000)]
        for peer in rule["from"]:
            assert peer.get("namespaceSelector", {}).get("matchLabels"), peer
    collector_rules = [
        r for p in policies_for(objects, collector, "Ingress") for r in p["spec"].get("ingress", [])
    ]
    (rule,) = collector_rules
    senders = [find(objects, *GATEWAY), find(objects, *RELAY)]
    (peer,) = rule["from"]
    assert all(selects(peer["podSelector"], labels_of(s)) for s in senders)
    assert not selects(peer["podSelector"], labels_of(find(objects, *MIGRATION)))
