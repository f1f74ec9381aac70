"""Configuration: settings in a ConfigMap, secrets only as references to Secrets created outside
git, and a collector configuration that the collector would accept."""

from __future__ import annotations

import re
from typing import Any

import opentelemetry.environment_variables
import opentelemetry.sdk.environment_variables
import pytest
import yaml
from conftest import K8S
from kustomize import containers
from manifests import COLLECTOR, GATEWAY, RELAY, container, find, find_prefixed, workloads
from pydantic import AliasChoices

from gateway.settings import Settings

Object = dict[str, Any]

SECRET_LOOKING = re.compile(
    r"secret|password|passwd|api_key|app_key|private|database_url|redis_url"
)
# Secret settings the gateway and the relay do not get, with the reason.
NOT_FOR_THE_APP = {"migration_database_url": "the table owner's URL: the migration Job only"}
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s]+:[^/@\s]+@")


def env_names(field: str) -> list[str]:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"GATEWAY_{field.upper()}"]


def otel_variables() -> set[str]:
    modules = (opentelemetry.environment_variables, opentelemetry.sdk.environment_variables)
    return {
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, str) and value.startswith("OTEL_")
    }


def test_no_secret_is_in_git() -> None:
    for path in K8S.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        assert "PRIVATE KEY" not in text and not CREDENTIALS_IN_URL.search(text), path
        if path.suffix == ".yaml":
            for doc in yaml.safe_load_all(text):
                assert not (doc and doc.get("kind") == "Secret"), path
                assert not (doc and "secretGenerator" in doc), path


def test_secrets_are_only_referenced(objects: list[Object]) -> None:
    assert not [o for o in objects if o["kind"] == "Secret"]
    for obj, spec in workloads(objects):
        for c in containers(spec):
            where = f"{obj['metadata']['name']}/{c['name']}"
            # Every variable from a Secret is named one by one, so a new key in a Secret never
            # silently becomes an environment variable.
            assert all("secretRef" not in source for source in c.get("envFrom", [])), where
            for env in c.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if SECRET_LOOKING.search(env["name"].lower()):
                    assert ref and ref.get("name") and ref.get("key"), f"{where}: {env['name']}"
                if "value" in env:
                    assert not CREDENTIALS_IN_URL.search(env["value"]), where
        assert all("secret" not in volume for volume in spec.get("volumes", []))


def test_the_config_map_holds_real_settings_and_no_secret(objects: list[Object]) -> None:
    data = find_prefixed(objects, "ConfigMap", "gateway-config")["data"]
    settings = {name for field in Settings.model_fields for name in env_names(field)}
    otel = otel_variables()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in otel  # the lookup works
    for key, value in data.items():
        assert key in settings or key in otel, f"{key} is neither a setting nor an OTEL_ variable"
        assert not SECRET_LOOKING.search(key.lower()), key
        assert not CREDENTIALS_IN_URL.search(value), key
    parsed = Settings(**_as_fields(data))  # every value is valid for its setting
    assert parsed.host == "0.0.0.0" and parsed.demo is False and parsed.dev_principal is False


def _as_fields(data: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in Settings.model_fields:
        for name in env_names(field):
            if name in data:
                fields[field] = data[name]
    return fields


@pytest.mark.parametrize("workload", [GATEWAY, RELAY])
def test_every_secret_setting_reaches_the_app_from_a_secret(
    objects: list[Object], workload: tuple[str, str]
) -> None:
    c = container(find(objects, *workload))
    refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in c["env"]
        if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]
    }
    missing = [
        field
        for field in Settings.model_fields
        if SECRET_LOOKING.search(field)
        and field not in NOT_FOR_THE_APP
        and not any(name in refs for name in env_names(field))
    ]
    assert not missing, (
        f"settings {missing} look secret: give them to the gateway and the relay with a "
        "secretKeyRef in k8s/base (or list them in NOT_FOR_THE_APP with the reason)"
    )
    gateway_refs = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container(find(objects, *GATEWAY))["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    # The relay talks to the same systems with the same credentials.
    assert refs.items() <= gateway_refs.items()


def test_the_relay_and_the_gateway_share_their_settings(objects: list[Object]) -> None:
    sources = [container(find(objects, *w))["envFrom"] for w in (GATEWAY, RELAY)]
    assert sources[0] == sources[1]


def test_the_collector_configuration_is_complete(objects: list[Object]) -> None:
    config = yaml.safe_load(
        find_prefixed(objects, "ConfigMap", "otel-collector-config")["data"]["config.yaml"]
    )
    pipeline = config["service"]["pipelines"]["traces"]
    for section in ("receivers", "processors", "exporters"):
        assert pipeline[section], section
        assert set(pipeline[section]) <= set(config[section]), section
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    assert "otlp" in pipeline["receivers"]
    assert "batch" in pipeline["processors"]
    # The memory limiter has to see data first to refuse it before anything else buffers it.
    assert pipeline["processors"][0] == "memory_limiter"
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    health = config["extensions"]["health_check"]["endpoint"]
    collector = container(find(objects, *COLLECTOR))
    ports = {p["name"]: p["containerPort"] for p in collector["ports"]}
    assert int(health.rsplit(":", 1)[1]) == ports[collector["readinessProbe"]["httpGet"]["port"]]
    # Every ${env:NAME} the configuration reads is set on the container.
    text = yaml.safe_dump(config)
    names = set(re.findall(r"\$\{env:([A-Z_][A-Z0-9_]*)\}", text))
    assert names <= {e["name"] for e in collector["env"]}, names
    # The deprecated `otlp` exporter name was replaced by `otlp_grpc` in collector 0.144.
    assert "otlp" not in config["exporters"]
