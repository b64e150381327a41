"""The model-folder contract (model-folder.schema.json): version check and validation, shared by every stage.

The JSON Schema file is the specification; this module checks documents against the subset of JSON Schema
it uses (type, enum, const, pattern, bounds, items, properties, required, additionalProperties, anyOf,
$ref). verify/js/schema.js does the same for the Node harness and the browser.
"""

import functools
import json
import re

from tfjs_bridge.common.errors import UserError
from tfjs_bridge.common.paths import SCHEMA_FILE

VERSION = "3.1"
MAJOR = 3
METADATA = "metadata.json"
GOLDENS = "goldens.json"
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


class SchemaError(UserError):
    """A metadata.json or goldens.json that breaks the contract; the message names the file and the field."""


@functools.cache
def schema() -> dict:
    """The parsed model-folder.schema.json."""
    return json.loads(SCHEMA_FILE.read_text())


def check_version(doc, file: str = METADATA) -> None:
    """Refuse a document whose schema major version this code does not read, before anything else."""
    version = doc.get("schema") if isinstance(doc, dict) else None
    match = re.fullmatch(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    if match is None or int(match.group(1)) != MAJOR:
        shown = json.dumps(version)[:40] if version is not None else "missing"
        raise SchemaError(f"{file}: schema version {shown} is not supported (this tfjs-bridge reads {MAJOR}.x): "
                          "re-export the model with this version")


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = schema()["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _describe(value) -> str:
    text = json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def errors(value, node: dict, where: str = "") -> list[str]:
    """Every way value breaks the schema node, as 'path: problem' (empty when it fits)."""
    node = _resolve(node)
    at = where or "(top)"
    if "anyOf" in node:
        if any(not errors(value, option, where) for option in node["anyOf"]):
            return []
        return [f"{at}: {_describe(value)} fits none of the allowed forms"]
    types = node.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_TYPES[t](value) for t in types):
            return [f"{at}: expected {' or '.join(types)}, got {_describe(value)}"]
    if "const" in node and value != node["const"]:
        return [f"{at}: must be {json.dumps(node['const'])}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{at}: {_describe(value)} is not one of {', '.join(map(json.dumps, node['enum']))}"]
    found = []
    if isinstance(value, str):
        if len(value) > node.get("maxLength", len(value)) or len(value) < node.get("minLength", 0):
            found.append(f"{at}: length {len(value)} is out of bounds")
        elif "pattern" in node and not re.search(node["pattern"], value):
            found.append(f"{at}: {_describe(value)} does not match {node['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < node.get("minimum", value) or value > node.get("maximum", value):
            found.append(f"{at}: {value} is out of bounds")
    if isinstance(value, list):
        if len(value) > node.get("maxItems", len(value)) or len(value) < node.get("minItems", 0):
            found.append(f"{at}: {len(value)} items is out of bounds")
        elif "items" in node:
            for i, item in enumerate(value):
                found += errors(item, node["items"], f"{where}[{i}]")
                if found:
                    break
    if isinstance(value, dict):
        found += [f"{at}: missing {json.dumps(k)}" for k in node.get("required", []) if k not in value]
        props, extra = node.get("properties", {}), node.get("additionalProperties", True)
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            if key in props:
                found += errors(item, props[key], path)
            elif extra is False:
                found.append(f"{path}: unexpected field")
            elif isinstance(extra, dict):
                found += errors(item, extra, path)
            if found:
                break
    return found


def validate(doc, file: str = METADATA) -> None:
    """Raise SchemaError naming the file and first broken field, unless doc is a valid metadata.json or goldens.json."""
    check_version(doc, file)
    node = schema()["$defs"]["goldens"] if file == GOLDENS else schema()
    problems = errors(doc, node)
    if problems:
        raise SchemaError(f"{file}: {problems[0]}")
