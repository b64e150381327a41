"""Hostile copies of a good model folder: what a downloaded folder could hold to read outside the models root,
block a reader, or exhaust its memory. Each must be refused naming the folder; the good model beside them works.

Shared by the Python and Node tests: `python -m tests.support.hostile GOOD_DIR OUT_DIR` writes the copies as
OUT_DIR/<good>-<case>/ (with OUT_DIR/../outside/ for what links point at) and prints {folder: {"problem": regex}}.
"""

import hashlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

from tests.support.corrupt import _load, _save, _shard
from tests.support.corrupt import main as corrupt_main
from tests.support.corrupt import write_cases as corrupt_cases


def _outside(folder: Path) -> Path:
    """A folder beside the models root (not inside it) for links to point at."""
    out = folder.parent.parent / "outside"
    out.mkdir(exist_ok=True)
    return out


def folder_link(folder: Path) -> None:
    """The model folder is a link to a complete, valid model folder outside the root."""
    target = _outside(folder) / folder.name
    shutil.move(folder, target)
    folder.symlink_to(target)


def shard_link(folder: Path) -> None:
    """The shard is a link to a file outside the folder with the very same bytes (its sha256 matches)."""
    shard = _shard(folder)
    target = _outside(folder) / f"{folder.name}.bin"
    shutil.copy(shard, target)
    shard.unlink()
    shard.symlink_to(target)


def shard_dev_zero(folder: Path) -> None:
    """The shard is a link to /dev/zero: endless bytes."""
    shard = _shard(folder)
    shard.unlink()
    shard.symlink_to("/dev/zero")


def shard_fifo(folder: Path) -> None:
    """The shard is a FIFO: a read blocks for ever."""
    shard = _shard(folder)
    shard.unlink()
    os.mkfifo(shard)


def metadata_fifo(folder: Path) -> None:
    """metadata.json is a FIFO."""
    (folder / "metadata.json").unlink()
    os.mkfifo(folder / "metadata.json")


def metadata_link(folder: Path) -> None:
    """metadata.json is a link to /etc/passwd."""
    (folder / "metadata.json").unlink()
    (folder / "metadata.json").symlink_to("/etc/passwd")


def dotdot_manifest(folder: Path) -> None:
    """model.json and metadata.json both name a shard as ../<neighbour>/<shard>."""
    model, meta = _load(folder / "model.json"), _load(folder / "metadata.json")
    rel = f"../{folder.name.rsplit('-', 2)[0]}/{model['weightsManifest'][0]['paths'][0]}"
    model["weightsManifest"][0]["paths"][0] = meta["files"][0]["path"] = rel
    _save(folder / "model.json", model)
    _save(folder / "metadata.json", meta)


def dotdot_model_json(folder: Path) -> None:
    """Only model.json names ../: metadata.json still lists the real shard."""
    model = _load(folder / "model.json")
    model["weightsManifest"][0]["paths"][0] = "../../../../etc/passwd"
    _save(folder / "model.json", model)


def oversize_metadata(folder: Path) -> None:
    """metadata.json padded past the schema's limit (8 MiB) with whitespace: still valid JSON."""
    meta = (folder / "metadata.json").read_text()
    (folder / "metadata.json").write_text(meta + " " * (9 * 1024 * 1024))


def deep_json(folder: Path) -> None:
    """metadata.json nested 100,000 lists deep."""
    (folder / "metadata.json").write_text("[" * 100_000 + "]" * 100_000)


def string_bomb(folder: Path) -> None:
    """A string weight of 3e7 elements the shards cannot hold (tf.js would allocate for each)."""
    model = _load(folder / "model.json")
    model["weightsManifest"][0]["weights"].append({"name": "bomb", "shape": [30_000_000], "dtype": "string"})
    _save(folder / "model.json", model)


def string_bomb_1e15(folder: Path) -> None:
    """A string weight of 1e15 elements."""
    model = _load(folder / "model.json")
    model["weightsManifest"][0]["weights"].append({"name": "bomb", "shape": [10**15], "dtype": "string"})
    _save(folder / "model.json", model)


def huge_records(folder: Path) -> None:
    """metadata.json records a 2 GiB shard: over the weights limit before any byte is read."""
    meta = _load(folder / "metadata.json")
    meta["files"][0]["bytes"] = 2 * 1024**3
    _save(folder / "metadata.json", meta)


def device_shard(folder: Path) -> None:
    """The shard is a character device node (where this user may make one; else a link to /dev/null)."""
    shard = _shard(folder)
    shard.unlink()
    try:
        os.mknod(shard, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:
        shard.symlink_to("/dev/null")


def named_linear(folder: Path) -> None:
    """metadata.json calls itself by the good model's name: the row must still be named by the folder."""
    meta = _load(folder / "metadata.json")
    meta["name"] = folder.name.rsplit("-", 2)[0]
    meta["files"][0]["sha256"] = "0" * 64
    _save(folder / "metadata.json", meta)


NOT_REGULAR = r"symbolic link|not a regular file|a FIFO|a device|character device|ELOOP|refused"
# Case → (how to make a copy hostile, regex for the problem every reader must state).
CASES = {
    "folder-link": (folder_link, r"symbolic link|a folder.*refused|model folder is"),
    "shard-link": (shard_link, NOT_REGULAR),
    "shard-dev-zero": (shard_dev_zero, NOT_REGULAR),
    "shard-fifo": (shard_fifo, NOT_REGULAR),
    "metadata-fifo": (metadata_fifo, NOT_REGULAR),
    "metadata-link": (metadata_link, NOT_REGULAR),
    "device-shard": (device_shard, NOT_REGULAR),
    "dotdot-manifest": (dotdot_manifest, r"does not match|not a file name"),
    "dotdot-model-json": (dotdot_model_json, r"does not list shard|not a file name"),
    "oversize-metadata": (oversize_metadata, r"over the limit|more than the [\d,]+ allowed"),
    "deep-json": (deep_json, r"invalid JSON|schema version|nested too deeply"),
    "string-bomb": (string_bomb, r"describe at least [\d,]+ bytes"),
    "string-bomb-1e15": (string_bomb_1e15, r"describe at least [\d,]+ bytes"),
    "huge-records": (huge_records, r"over the limit|more than|metadata says"),
    "named-linear": (named_linear, r"sha256 mismatch"),
}


def write_cases(good: Path, out: Path) -> dict:
    """Copy good into out once per case, make each copy hostile; return {folder name: {"problem": regex}}."""
    return corrupt_cases(good, out, CASES)


def shard_folder(folder, count: int) -> None:
    """A model folder of count 4-byte shards (one float32 weight of count elements), valid for the store."""
    folder.mkdir()
    paths, records = [], []
    for i in range(count):
        name = f"group1-shard{i + 1}of{count}.bin"
        data = i.to_bytes(4, "little")
        (folder / name).write_bytes(data)
        paths.append(name)
        records.append({"path": name, "bytes": 4, "sha256": hashlib.sha256(data).hexdigest()})
    (folder / "model.json").write_text(json.dumps({"weightsManifest": [
        {"paths": paths, "weights": [{"name": "w", "shape": [count], "dtype": "float32"}]}]}))
    goldens = b'{"schema": "3.0"}'
    (folder / "goldens.json").write_bytes(goldens)
    spec = {"name": "x", "shape": [None, 3], "dtype": "float32"}
    meta = {"schema": "3.0", "name": folder.name, "format": "graph", "kind": "regression",
            "source": {"type": "saved_model", "name": "x"}, "counterpart": None, "inputs": [spec],
            "outputs": [{**spec, "name": "y"}], "labels": None, "preprocessing": None, "quantization": None,
            "bytes": {"on_disk": 4 * count, "float32": 4 * count}, "files": records,
            "goldens": {"path": "goldens.json", "bytes": len(goldens), "sha256": hashlib.sha256(goldens).hexdigest(), "count": 1},
            "training": None, "versions": {}, "exported_at": "now"}
    (folder / "metadata.json").write_text(json.dumps(meta))


def main(argv: list[str]) -> int:
    """Write the cases and print what each must be refused with."""
    return corrupt_main(argv, write_cases, "tests.support.hostile")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
