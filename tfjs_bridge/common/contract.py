"""The model-folder contract's integrity rules, written once for Python: what makes a folder's files agree.

A folder is read only through an open handle of it (files.folder), its files only as regular files within the
schema's x-limits and named by its $defs/fileName; metadata.json must fit the schema; model.json's manifest must
name exactly the shards metadata.json records, each of the recorded length and sha256, and goldens.json is sealed
by metadata.json the same way. The exporter checks its folder with verify_folder before swapping it in (it refuses
to write what readers would refuse), the Flask store before serving one, the static-site writer before copying
one. verify/js/artifacts.js holds the same rules for the Node harness and the page.
"""

import json
import math
from pathlib import Path

from tfjs_bridge.common import files, schema
from tfjs_bridge.common.errors import UserError

MODEL_JSON = "model.json"
LIMITS = {k: v for k, v in schema.schema()["x-limits"].items() if k != "description"}
# Names matched whole (the schema's patterns with ECMA-262's `$`): a model folder's, and a file's in one.
FOLDER_NAME = schema.name_pattern("folderName")
FILE_NAME = schema.name_pattern("fileName")
# Bytes per stored element by the dtype a weight is stored in (its quantization dtype when quantized); a
# string element takes at least its 4-byte length prefix (tf.js's encoding).
BYTES_PER_ELEMENT = {"float32": 4, "int32": 4, "float16": 2, "uint16": 2, "int16": 2, "uint8": 1, "int8": 1, "bool": 1}
STRING_MIN_BYTES = 4


class IntegrityError(UserError):
    """A model folder whose files disagree with each other; the message names the file and the problem."""


def read_json(folder_fd: int, name: str, limit: int | None = None) -> object:
    """Parse a JSON file of an open model folder within its size limit; IntegrityError naming it when refused or malformed."""
    try:
        return json.loads(files.read_bounded(folder_fd, name, limit or LIMITS[name]))
    except files.FileRefused as err:
        raise IntegrityError(str(err)) from None
    except RecursionError:
        raise IntegrityError(f"{name}: invalid JSON (nested too deeply)") from None
    except ValueError as err:
        raise IntegrityError(f"{name}: invalid JSON ({err})") from None


def shard_paths(model_json: object) -> list[str]:
    """The shard files model.json's weightsManifest names, refusing a manifest of the wrong shape."""
    manifest = model_json.get("weightsManifest") if isinstance(model_json, dict) else None
    groups_ok = isinstance(manifest, list) and all(
        isinstance(g, dict) and isinstance(g.get("paths"), list) and isinstance(g.get("weights"), list)
        and all(isinstance(p, str) for p in g["paths"]) for g in manifest)
    if not groups_ok:
        raise IntegrityError("model.json: weightsManifest is missing or malformed")
    return [p for g in manifest for p in g["paths"]]


def signature_key(keys, name: str) -> str | None:
    """The key of model.json's signature for a metadata.json tensor name, or None: the converter keys a SavedModel's
    signature inputs by tensor name ('padding_mask:0') where the signature's own name is 'padding_mask', so each
    form finds the other (verify/js/artifacts.js signatureKey, the same rule)."""
    return next((key for key in (name, f"{name}:0", name.removesuffix(":0")) if key in keys), None)


def check_manifest(model_json: dict, meta: dict) -> None:
    """model.json's manifest names exactly the shards metadata.json records, once each, and every declared input exists."""
    named = shard_paths(model_json)
    named_set, recorded = set(named), [f["path"] for f in meta["files"]]
    recorded_set = set(recorded)
    for p in named:
        if p not in recorded_set:
            raise IntegrityError(f"metadata.json: does not list shard {p} that model.json names")
    for p in recorded:
        if p not in named_set:
            raise IntegrityError(f"metadata.json: lists shard {p} that model.json does not name")
    if len(named_set) != len(named):
        raise IntegrityError("model.json: weightsManifest names a shard twice")
    signature = model_json.get("signature")
    inputs = signature.get("inputs") if isinstance(signature, dict) else None
    stray = next((s for s in meta["inputs"] if signature_key(inputs, s["name"]) is None), None) if isinstance(inputs, dict) else None
    if stray:
        raise IntegrityError(f"metadata.json: input {stray['name']!r} is not an input of model.json ({', '.join(inputs)})")


def described_bytes(model_json: dict) -> tuple[int, bool]:
    """(bytes the manifest's weight specs describe, whether exact): a minimum when string weights are present."""
    total, exact = 0, True
    for group in model_json["weightsManifest"]:
        for spec in group["weights"]:
            shape = spec.get("shape") if isinstance(spec, dict) else None
            if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
                raise IntegrityError(f"model.json: weight {str(spec)[:60]} has no valid shape")
            quantization = spec.get("quantization")
            dtype = quantization.get("dtype") if isinstance(quantization, dict) else spec.get("dtype")
            count = math.prod(shape)
            if dtype == "string":
                total, exact = total + STRING_MIN_BYTES * count, False
            elif dtype in BYTES_PER_ELEMENT:
                total += BYTES_PER_ELEMENT[dtype] * count
            else:
                raise IntegrityError(f"model.json: weight {str(spec.get('name'))[:60]!r} has unknown dtype {str(dtype)[:20]!r}")
    return total, exact


def check_weight_bytes(model_json: dict, meta: dict) -> None:
    """The shards' recorded total within the limit and matching what the weight specs describe, before any is read."""
    held = sum(f["bytes"] for f in meta["files"])
    if held > LIMITS["weights"]:
        raise IntegrityError(f"metadata.json: shards total {held:,} bytes, over the limit of {LIMITS['weights']:,}")
    described, exact = described_bytes(model_json)
    if described != held if exact else described > held:
        raise IntegrityError(f"model.json: its weight shapes describe {'' if exact else 'at least '}{described:,} bytes, "
                             f"the shards hold {held:,}")
    if meta["goldens"]["bytes"] > LIMITS[schema.GOLDENS]:
        raise IntegrityError(f"metadata.json: goldens of {meta['goldens']['bytes']:,} bytes, over the limit of "
                             f"{LIMITS[schema.GOLDENS]:,}")


def check_file(folder_fd: int, record: dict, what: str = "weight shard", limit: int = LIMITS["weights"]) -> None:
    """One file of an open folder against its metadata record: a plain file of the recorded length and sha256."""
    rel = record["path"]
    if not FILE_NAME.fullmatch(rel):
        raise IntegrityError(f"metadata.json: {what} path {rel!r} is not a file name in the model folder")
    try:
        size = files.lstat_regular(folder_fd, rel, limit).st_size
        if size != record["bytes"]:
            raise IntegrityError(f"{rel}: {size} bytes, metadata says {record['bytes']} (truncated or replaced)")
        digest = files.sha256_file(folder_fd, rel, size)
    except files.Missing:
        raise IntegrityError(f"{rel}: {what} missing") from None
    except files.FileRefused as err:
        raise IntegrityError(str(err)) from None
    if digest != record["sha256"]:
        raise IntegrityError(f"{rel}: sha256 mismatch, the {what}'s bytes were altered")


def verify_open_folder(folder_fd: int) -> dict:
    """The metadata of an open model folder once model.json, metadata.json, goldens.json and every shard agree."""
    meta = read_json(folder_fd, schema.METADATA)
    try:
        schema.validate(meta)
    except schema.SchemaError as err:
        raise IntegrityError(str(err)) from None
    model_json = read_json(folder_fd, MODEL_JSON)
    check_manifest(model_json, meta)
    check_weight_bytes(model_json, meta)
    for record in meta["files"]:
        check_file(folder_fd, record)
    check_file(folder_fd, meta["goldens"], "goldens file")
    if "file" in meta.get("litert", {}):  # optional (schema 3.1): LiteRT.js's model.tflite, held to the same record
        check_file(folder_fd, tflite_record(meta), "TFLite model", LIMITS["model.tflite"])
    return meta


def tflite_record(meta: dict) -> dict:
    """metadata.json's litert record as a file record (path, bytes, sha256)."""
    litert = meta["litert"]
    return {"path": litert["file"], "bytes": litert["bytes"], "sha256": litert["sha256"]}


def verify_folder(folder: Path) -> dict:
    """The folder's metadata once its files agree (verify_open_folder), read through one open handle of it."""
    try:
        with files.folder(folder, folder.name) as fd:
            return verify_open_folder(fd)
    except files.FileRefused as err:
        raise IntegrityError(str(err)) from None
