"""Requests and answers checked against Atlassian's OpenAPI description of Jira Cloud's REST API.

``shared/hosts/specs/jira-cloud-platform-v3.openapi.json`` beside the checkout (``../shared``,
where the project's host facts live; else ``/work/shared``), or ``CI_PLUGIN_JIRA_OPENAPI``, is
read once. For each exchange the fake Jira hands over (:meth:`OpenApiChecker.exchange`):

* the path and method must be an operation of the description, and not a deprecated one (the
  old ``/search`` is "currently being removed");
* every query parameter must be one the operation declares;
* a request body must validate against the operation's ``requestBody`` schema;
* an answer must validate against the schema of its status (an error answer without one
  against ``ErrorCollection``, the shape Jira's errors have).

Schemas are JSON Schema with OpenAPI 3.0's ``nullable`` turned into a ``null`` type; every
``$ref`` resolves inside the description (``referencing``). Problems are collected (a server
thread cannot fail a test): the harness asserts :attr:`problems` is empty after each test.
"""

from __future__ import annotations

import json
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

_NAME = "hosts/specs/jira-cloud-platform-v3.openapi.json"
_BESIDE = Path(__file__).resolve().parents[3] / "shared" / _NAME
SPEC = Path(os.environ.get("CI_PLUGIN_JIRA_OPENAPI") or (_BESIDE if _BESIDE.is_file() else Path("/work/shared") / _NAME))
BASE = "urn:jira-openapi"


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable`` becomes a ``null`` alternative, local
    ``$ref`` points into the registered description."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v) for k, v in node.items() if k not in ("nullable", "discriminator", "example", "xml")}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith("#/"):
        out["$ref"] = BASE + out["$ref"]
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def load(path: str = str(SPEC)) -> tuple[dict[str, Any], Registry]:
    """The converted description and a registry holding it."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"Atlassian's OpenAPI description of Jira Cloud is not at {path}: the Jira contract "
                                "tests check every exchange against it; set CI_PLUGIN_JIRA_OPENAPI to its path")
    spec = _convert(json.loads(Path(path).read_text(encoding="utf-8")))
    return spec, Registry().with_resource(BASE, Resource.from_contents(spec, default_specification=DRAFT7))


class OpenApiChecker:
    """Checks exchanges against the description; :attr:`problems` lists what did not match."""

    def __init__(self, path: Path = SPEC):
        self.spec, self.registry = load(str(path))
        self.problems: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()
        self._routes = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
                        for template in self.spec["paths"]]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """``(template, operation)`` of a request, the most literal template first; None if unknown."""
        matches = [t for rx, t in self._routes if rx.match(path)]
        for template in sorted(matches, key=lambda t: t.count("{")):
            operation = self.spec["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
        return None

    def errors(self, schema: dict[str, Any], document: Any) -> list[str]:
        """Validation errors of ``document`` against ``schema`` (one line each)."""
        validator = Draft7Validator(schema, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message[:300]}" for e in validator.iter_errors(document)]

    def check_request(self, method: str, path: str, query: dict[str, Any], body: Any) -> list[str]:
        """What is wrong with a request (empty: it is one Jira documents)."""
        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in Jira's REST API"]
        template, operation = found
        if operation.get("deprecated"):
            return [f"{method} {template}: a deprecated operation ({operation.get('summary', '')[:80]})"]
        declared = {p.get("name") for p in operation.get("parameters") or [] if p.get("in") == "query"}
        problems = [f"{method} {template}: undeclared query parameter {name!r}" for name in query if name not in declared]
        if body is not None:
            schema = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
            if schema is None:
                problems.append(f"{method} {template}: sends a body the operation does not take")
            else:
                problems += [f"{method} {template} request {e}" for e in self.errors(schema, body)]
        return problems

    def check_answer(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with an answer (empty: it has the documented shape)."""
        found = self.operation(method, path)
        if found is None:
            return []  # reported with the request
        template, operation = found
        response = (operation.get("responses") or {}).get(str(status))
        if response is None and status < 400 and status not in (429, 503):
            return [f"{method} {template}: status {status} is not a documented answer"]
        schema = (((response or {}).get("content") or {}).get("application/json") or {}).get("schema")
        if not schema and status >= 400:
            schema = {"$ref": f"{BASE}#/components/schemas/ErrorCollection"}
        if not schema or body is None:
            return []
        return [f"{method} {template} answer {status} {e}" for e in self.errors(schema, body)]

    def exchange(self, method: str, path: str, query: dict[str, Any], body: Any, status: int, answer: Any) -> None:
        """Check one request and its answer; remember what did not match."""
        problems = self.check_request(method, path, query, body) + self.check_answer(method, path, status, answer)
        with self._lock:
            self.checked += 1
            self.problems += problems

    def take(self) -> list[str]:
        """The problems found so far, forgotten once taken."""
        with self._lock:
            found, self.problems = self.problems, []
        return found
