"""JSON Schema access: load the shipped schemas once, validate, report errors by JSON path.

The schemas in ``schemas/`` (installed as ``ci_plugin.schemas``) are the single definition of
the configuration and of the register's records. Every schema has an ``$id`` of the form
``urn:ci-plugin:NAME``; ``$ref`` between them resolve through a local
:class:`referencing.Registry`, never over the network. Validators are built once per process.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from ci_plugin.errors import SchemaValidationError

SCHEMA_PACKAGE = "ci_plugin.schemas"


@cache
def _registry() -> Registry:
    """Every shipped schema, by ``$id``."""
    registry: Registry = Registry()
    for entry in resources.files(SCHEMA_PACKAGE).iterdir():
        if entry.name.endswith(".schema.json"):
            document = json.loads(entry.read_text(encoding="utf-8"))
            registry = registry.with_resource(document["$id"], Resource.from_contents(document))
    return registry.crawl()


def schema(name: str) -> dict[str, Any]:
    """Return the schema ``urn:ci-plugin:NAME`` as a dict (do not modify it)."""
    return _registry().contents(f"urn:ci-plugin:{name}")


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """A Draft 2020-12 validator for the shipped schema ``name``, built once, formats checked."""
    cls = jsonschema.Draft202012Validator
    return cls(schema(name), registry=_registry(), format_checker=cls.FORMAT_CHECKER)


def json_path(error: jsonschema.ValidationError) -> str:
    """The JSON path (``$.host.url``, ``$.kpis[0].target``) of a validation error."""
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _best(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    return jsonschema.exceptions.best_match(errors)


def describe(error: jsonschema.ValidationError) -> str:
    """One line that says what is wrong, naming the offending key for unknown properties."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown key" + ("s " if len(extra) > 1 else " ") + ", ".join(repr(k) for k in extra)
    if error.validator == "required":
        return error.message.replace(" is a required property", " is required")
    return error.message


def validate(name: str, document: Any, what: str | None = None) -> None:
    """Validate ``document`` against schema ``name``.

    Raises :class:`SchemaValidationError` naming the JSON path of the first (best) error.
    """
    _raise_best(validator(name), document, what or name, "$")


def validate_section(schema: dict[str, Any], document: Any, what: str, name: str) -> None:
    """Validate the ``[name]`` table of a configuration against a schema a plugin declared
    (Draft 2020-12, formats checked); errors name their path from the top (``$.name.key``)."""
    cls = jsonschema.Draft202012Validator
    _raise_best(cls(schema, format_checker=cls.FORMAT_CHECKER), document, what, f"$.{name}")


def _raise_best(checker: jsonschema.protocols.Validator, document: Any, what: str, root: str) -> None:
    errors = list(checker.iter_errors(document))
    if not errors:
        return
    error = _best(errors)
    path = root + json_path(error)[1:]
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if len(extra) == 1:
            path = f"{path}.{extra[0]}"
    raise SchemaValidationError(what, path, describe(error))


def with_defaults(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``document`` with the ``default`` of every absent object property filled
    in, recursively (following local ``$ref``), as the schema ``name`` documents them."""
    return fill_defaults(schema(name), document)


def fill_defaults(root: dict[str, Any], document: Any) -> Any:
    """:func:`with_defaults` for any schema ``root`` (a plugin's configuration section)."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if ref and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def fill(node: dict[str, Any], value: Any) -> Any:
        node = resolve(node)
        if not isinstance(value, dict) or "properties" not in node:
            return value
        out = dict(value)
        for key, sub in node["properties"].items():
            sub = resolve(sub)
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = fill(sub, out[key])
        return out

    return fill(root, copy.deepcopy(document))
