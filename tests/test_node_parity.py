"""Python → tf.js end to end: fresh exports pass the Node harness, and broken ones are caught."""

import json
import shutil

import pytest
from helpers import verify


def test_fresh_exports_pass_on_cpu_and_wasm(exported):
    result = verify(exported)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [ln.split() for ln in result.stdout.splitlines() if ln.startswith(("linear", "mlp"))]
    assert sorted((r[0], r[3], r[-1]) for r in rows) == [
        ("linear", "cpu", "pass"), ("linear", "wasm", "pass"), ("mlp", "cpu", "pass"), ("mlp", "wasm", "pass")]


@pytest.fixture
def broken_copy(exported, tmp_path):
    """A writable copy of the exported mlp, alone in its models folder."""
    shutil.copytree(exported / "mlp", tmp_path / "mlp")
    return tmp_path


def test_drifted_python_outputs_fail_the_check(broken_copy):
    """Negative control: a 1e-3 shift in one expected value (10x the tolerance) must be reported."""
    meta_file = broken_copy / "mlp" / "metadata.json"
    meta = json.loads(meta_file.read_text())
    meta["golden"]["outputs"][0] += 1e-3
    meta_file.write_text(json.dumps(meta))
    result = verify(broken_copy)
    assert result.returncode == 1 and "FAIL" in result.stdout


def test_truncated_shard_is_refused_naming_the_file(broken_copy):
    shard = next((broken_copy / "mlp").glob("*.bin"))
    shard.write_bytes(shard.read_bytes()[:-100])
    result = verify(broken_copy)
    assert result.returncode == 1
    assert f"{shard.name}: {shard.stat().st_size} bytes, metadata says" in result.stdout


def test_no_models_is_exit_2(tmp_path):
    result = verify(tmp_path)
    assert result.returncode == 2 and "no exported models" in result.stderr
