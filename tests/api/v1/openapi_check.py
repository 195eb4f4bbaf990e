"""Checks a response against the schema the app's OpenAPI document gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]


class OpenApiMismatch(AssertionError):
    pass


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that lists its
    properties, so an undeclared field fails validation too."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@dataclass
class OpenApiChecker:
    """Validates a response against the schema that the document gives its path, method and
    status (``$ref``s resolved within the document)."""

    document: dict[str, Any]
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        candidates = []
        for template, operations in self.document["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            if method in operations and re.match(pattern, path):
                candidates.append((template.count("{"), template, operations[method]))
        if not candidates:
            raise OpenApiMismatch(f"{method.upper()} {path} is not in the OpenAPI document")
        _, template, operation = min(candidates)
        return template, operation

    def check(self, method: str, path: str, status: int, body: bytes, content_type: str) -> None:
        template, operation = self.operation(method.lower(), path)
        declared = operation["responses"].get(str(status))
        if declared is None:
            raise OpenApiMismatch(f"{method} {template} answered {status}, not declared")
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            if body:
                raise OpenApiMismatch(f"{method} {template} {status} declares no body")
            return
        if not content_type.startswith("application/json"):
            raise OpenApiMismatch(f"{method} {template} {status} is not JSON: {content_type}")
        self.validate(schema, httpx.Response(200, content=body).json(), f"{method} {template}")
        self.checked.append((method.upper(), template, status))

    def validate(self, schema: dict[str, Any], instance: Any, where: str = "") -> None:
        root = strict({**schema, "components": self.document.get("components", {})})
        found = sorted(Draft202012Validator(root).iter_errors(instance), key=str)
        if found:
            first = found[0]
            location = "/".join(str(p) for p in first.absolute_path)
            raise OpenApiMismatch(f"{where}: {location}: {first.message}")
