"""The sandboxes' routes and OpenAPI 3.1 documents, from one declaration.

Each route of a sandbox is declared once, as an `Operation`: its name (the operationId), method,
path, summary and the pydantic models of its body and of each answer. `Api.routes` binds the
handlers to the declared operations by name and `Api.document` writes `/openapi.json` from the
same declarations, every schema being a model's own JSON schema. So the document lists exactly the
routes the sandbox serves, with the bodies its models describe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.routing import Route

from sandbox.common import Handler

Body = type[BaseModel] | dict[str, Any]  # a model (a component of the document) or a JSON schema
REF_TEMPLATE = "#/components/schemas/{model}"
_PATH_PARAMETER = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Answer:
    description: str
    body: Body | None = None  # JSON


@dataclass(frozen=True)
class Parameter:
    name: str
    where: Literal["query", "header"]
    description: str = ""
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Operation:
    name: str  # the operationId: the handler is bound by it
    method: str
    path: str  # a Starlette path template; its {parameters} are strings, required
    summary: str
    answers: Mapping[int, Answer]
    body: Body | None = None
    media_type: str = "application/json"  # of the body
    query: type[BaseModel] | None = None  # the query parameters: one per field
    parameters: Sequence[Parameter] = ()  # headers, and query parameters the model cannot say
    security: Sequence[str] | None = None  # the schemes it takes; None: the document's


@dataclass(frozen=True)
class Api:
    title: str
    description: str
    schemes: Mapping[str, Mapping[str, Any]]  # securitySchemes by name
    operations: Sequence[Operation]
    security: Sequence[str] | None = None  # what every operation takes; None: all the schemes

    def is_public(self, name: str) -> bool:
        """Whether the operation of this name takes no credentials at all."""
        return any(o.name == name and o.security == () for o in self.operations)

    def routes(self, handlers: Mapping[str, Handler]) -> list[Route]:
        """One route per operation, served by the handler of its name."""
        declared = [o.name for o in self.operations]
        if sorted(declared) != sorted(handlers):
            raise ValueError(f"handlers {sorted(handlers)} for operations {sorted(declared)}")
        return [Route(o.path, handlers[o.name], methods=[o.method]) for o in self.operations]

    def document(self) -> dict[str, Any]:
        used: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
        for operation in self.operations:
            if isinstance(operation.body, type):
                used[(operation.body, "validation")] = None
            for answer in operation.answers.values():
                if isinstance(answer.body, type):
                    used[(answer.body, "serialization")] = None
        refs, definitions = models_json_schema(list(used), ref_template=REF_TEMPLATE)

        def schema(body: Body, mode: JsonSchemaMode) -> dict[str, Any]:
            return dict(refs[(body, mode)]) if isinstance(body, type) else body

        paths: dict[str, dict[str, Any]] = {}
        for operation in self.operations:
            item: dict[str, Any] = {"operationId": operation.name, "summary": operation.summary}
            parameters = _parameters(operation)
            if parameters:
                item["parameters"] = parameters
            if operation.body is not None:
                content = {operation.media_type: {"schema": schema(operation.body, "validation")}}
                item["requestBody"] = {"required": True, "content": content}
            item["responses"] = {
                str(status): {"description": answer.description}
                | (
                    {
                        "content": {
                            "application/json": {"schema": schema(answer.body, "serialization")}
                        }
                    }
                    if answer.body is not None
                    else {}
                )
                for status, answer in operation.answers.items()
            }
            if operation.security is not None:
                item["security"] = [{name: []} for name in operation.security]
            paths.setdefault(operation.path, {})[operation.method.lower()] = item
        security = self.schemes if self.security is None else self.security
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": "1.0.0", "description": self.description},
            "components": {
                "securitySchemes": {name: dict(scheme) for name, scheme in self.schemes.items()},
                "schemas": definitions.get("$defs", {}),
            },
            "security": [{name: []} for name in security],
            "paths": paths,
        }


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    found = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(operation.path)
    ]
    if operation.query is not None:
        model = operation.query.model_json_schema(ref_template=REF_TEMPLATE)
        if "$defs" in model:
            raise ValueError(f"{operation.query.__name__}: query parameters take inline types")
        required = set(model.get("required", ()))
        for name, prop in model["properties"].items():
            described = _present(
                {k: v for k, v in prop.items() if k not in ("title", "description")}
            )
            found.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": described,
                    "description": prop.get("description", ""),
                }
            )
    for parameter in operation.parameters:
        found.append(
            {
                "name": parameter.name,
                "in": parameter.where,
                "required": parameter.required,
                "schema": dict(parameter.schema),
            }
            | ({"description": parameter.description} if parameter.description else {})
        )
    return found


def _present(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a parameter is left out, never null."""
    options = [o for o in schema.get("anyOf", ()) if o != {"type": "null"}]
    if "anyOf" in schema and len(options) == 1:
        schema = {k: v for k, v in schema.items() if k != "anyOf"} | options[0]
    return {k: v for k, v in schema.items() if not (k == "default" and v is None)}
