"""The model-folder contract's documents (model-folder.schema.json): version check and validation, shared by every stage.

The JSON Schema file is the specification and the `jsonschema` library checks documents against it; this module
words the library's first finding as one line naming the file and the JSON path, and reads the names the schema
defines. verify/js/schema.js does the same for Node and the browser with @cfworker/json-schema.
"""

import functools
import json
import re

import jsonschema

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.paths import SCHEMA_FILE

VERSION = "3.1"
MAJOR = 3
METADATA = "metadata.json"
GOLDENS = "goldens.json"


class SchemaError(UserError):
    """A metadata.json or goldens.json that breaks the contract; the message names the file and the field."""


@functools.cache
def schema() -> dict:
    """The parsed model-folder.schema.json."""
    return json.loads(SCHEMA_FILE.read_text())


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern:
    """A schema pattern compiled with JSON Schema's (ECMA-262) meaning: its final `$` matches only at the very end.

    Python's `$` also matches before a final newline, so "linear\\n" would pass "^[a-z]+$"; `\\Z` does not.
    """
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern)


def name_pattern(definition: str) -> re.Pattern:
    """The schema's $defs/<definition> name pattern (folderName, fileName), matched whole."""
    return ecma_regex(schema()["$defs"][definition]["pattern"])


def _pattern(validator, pattern, instance, node):
    """jsonschema's `pattern` keyword with the ECMA-262 end-of-string rule (see ecma_regex)."""
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


@functools.cache
def _validator(definition: str | None) -> jsonschema.protocols.Validator:
    """A validator for the whole schema (metadata.json) or one of its $defs (goldens), the schema checked once."""
    _Validator.check_schema(schema())
    node = schema() if definition is None else {"$ref": f"{schema()['$id']}#/$defs/{definition}"}
    return _Validator(node, registry=_registry())


@functools.cache
def _registry():
    """The schema, by its $id, so that a $defs reference resolves against the file."""
    from referencing import Registry, Resource

    return Registry().with_resource(schema()["$id"], Resource.from_contents(schema()))


def check_version(doc, file: str = METADATA) -> None:
    """Refuse a document whose schema major version this code does not read, before anything else."""
    version = doc.get("schema") if isinstance(doc, dict) else None
    match = re.fullmatch(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    if match is None or int(match.group(1)) != MAJOR:
        shown = json.dumps(version)[:40] if version is not None else "missing"
        raise SchemaError(f"{file}: schema version {shown} is not supported (this tfjs-bridge reads {MAJOR}.x): "
                          "re-export the model with this version")


def _describe(value) -> str:
    text = json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _path(parts) -> str:
    """A JSON path as messages show it: `a.b[0].c`, or (top) for the document itself."""
    where = ""
    for part in parts:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where or "(top)"


# How each keyword's failure is worded: (value, the keyword's rule) → the problem.
_WORDS = {
    "anyOf": lambda value, rule: f"{_describe(value)} fits none of the allowed forms",
    "type": lambda value, rule: f"expected {' or '.join([rule] if isinstance(rule, str) else rule)}, got {_describe(value)}",
    "const": lambda value, rule: f"must be {json.dumps(rule)}",
    "enum": lambda value, rule: f"{_describe(value)} is not one of {', '.join(map(json.dumps, rule))}",
    "pattern": lambda value, rule: f"{_describe(value)} does not match {rule}",
    "minLength": lambda value, rule: f"length {len(value)} is out of bounds",
    "maxLength": lambda value, rule: f"length {len(value)} is out of bounds",
    "minimum": lambda value, rule: f"{value} is out of bounds",
    "maximum": lambda value, rule: f"{value} is out of bounds",
    "minItems": lambda value, rule: f"{len(value)} items is out of bounds",
    "maxItems": lambda value, rule: f"{len(value)} items is out of bounds",
}


def _lines(error: jsonschema.ValidationError) -> list[str]:
    """One library finding as 'path: problem' lines (a missing or unexpected field is one line per field)."""
    at, value = list(error.absolute_path), error.instance
    if error.validator == "required":
        return [f"{_path(at)}: missing {json.dumps(k)}" for k in error.validator_value if k not in value]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [f"{_path([*at, k])}: unexpected field" for k in value if k not in known]
    words = _WORDS.get(error.validator, lambda value, rule: error.message.splitlines()[0][:200])
    return [f"{_path(at)}: {words(value, error.validator_value)}"]


def errors(doc, definition: str | None = None) -> list[str]:
    """Every way doc breaks the schema (or its $defs/<definition>), as 'path: problem' lines; empty when it fits."""
    found = [line for e in _validator(definition).iter_errors(doc) for line in _lines(e)]
    return list(dict.fromkeys(found))


def validate(doc, file: str = METADATA) -> None:
    """Raise SchemaError naming the file and first broken field, unless doc is a valid metadata.json or goldens.json."""
    check_version(doc, file)
    problems = errors(doc, "goldens" if file == GOLDENS else None)
    if problems:
        raise SchemaError(f"{file}: {problems[0]}")
