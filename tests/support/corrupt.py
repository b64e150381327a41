"""Broken copies of a good model folder, one per way a folder can break, with the file and problem each must name.

Shared by the Python, Node and browser tests: `python -m tests.support.corrupt GOOD_DIR OUT_DIR` writes the copies
as OUT_DIR/<good>-<case>/ and prints {folder: {"file": ..., "problem": regex}} as JSON.
"""

import json
import shutil
import sys
from pathlib import Path


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _save(path: Path, value) -> None:
    path.write_text(json.dumps(value))


def _shard(folder: Path) -> Path:
    return folder / _load(folder / "metadata.json")["files"][0]["path"]


def missing_model_json(folder: Path) -> str:
    """model.json deleted."""
    (folder / "model.json").unlink()
    return "model.json"


def invalid_json(folder: Path) -> str:
    """model.json cut off half way, as an interrupted copy leaves it."""
    text = (folder / "model.json").read_text()
    (folder / "model.json").write_text(text[: len(text) // 2])
    return "model.json"


def missing_shard(folder: Path) -> str:
    """The first weight shard deleted."""
    shard = _shard(folder)
    shard.unlink()
    return shard.name


def truncated_shard(folder: Path) -> str:
    """The first weight shard missing its last 4 bytes."""
    shard = _shard(folder)
    shard.write_bytes(shard.read_bytes()[:-4])
    return shard.name


def altered_shard(folder: Path) -> str:
    """One bit of the first weight shard flipped: same length, different bytes."""
    shard = _shard(folder)
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    return shard.name


def bad_manifest(folder: Path) -> str:
    """model.json's weightsManifest an object instead of a list of groups."""
    model = _load(folder / "model.json")
    model["weightsManifest"] = {"paths": "group1-shard1of1.bin"}
    _save(folder / "model.json", model)
    return "model.json"


def metadata_mismatch(folder: Path) -> str:
    """metadata.json records a shard under another name than model.json's manifest uses."""
    meta = _load(folder / "metadata.json")
    meta["files"][0]["path"] = "group1-shard1of2.bin"
    _save(folder / "metadata.json", meta)
    return "metadata.json"


# Case → (how to break a copy, regex for the problem the error must state).
CASES = {
    "missing-model-json": (missing_model_json, r"missing|cannot read|HTTP 404"),
    "invalid-json": (invalid_json, r"invalid JSON"),
    "missing-shard": (missing_shard, r"missing|HTTP 404"),
    "truncated-shard": (truncated_shard, r"bytes, metadata says"),
    "altered-shard": (altered_shard, r"sha256 mismatch"),
    "bad-manifest": (bad_manifest, r"weightsManifest is missing or malformed"),
    "metadata-mismatch": (metadata_mismatch, r"does not list shard|does not name"),
}


def write_cases(good: Path, out: Path, cases: dict | None = None) -> dict:
    """Copy good into out once per case (default: CASES), break each copy; return {folder name: {"problem", "file"}}.

    "file" is the file a breaker names (returns); breakers that return nothing give no "file".
    """
    expected = {}
    for case, (breaker, problem) in (cases or CASES).items():
        folder = Path(out) / f"{Path(good).name}-{case}"
        shutil.copytree(good, folder)
        broken = breaker(folder)
        expected[folder.name] = {"problem": problem, **({"file": broken} if broken is not None else {})}
    return expected


def main(argv: list[str], write=write_cases, module: str = "tests.support.corrupt") -> int:
    """Write the cases (write(good, out), as hostile.py's too) and print what each must be refused with."""
    if len(argv) != 2:
        print(f"usage: python -m {module} GOOD_DIR OUT_DIR", file=sys.stderr)
        return 2
    print(json.dumps(write(Path(argv[0]), Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
