"""Python → tf.js end to end: fresh exports pass the Node harness, and broken ones are caught."""

import json
import shutil

import pytest

from tests.support.helpers import verify

pytestmark = pytest.mark.slow  # Node runs over fresh exports

BACKENDS = ("cpu", "wasm")


def test_fresh_exports_pass_on_cpu_and_wasm(node_parity):
    _, rows = node_parity
    fresh = {key: row for key, row in rows.items() if key[0] in ("linear", "mlp")}
    assert sorted(fresh) == [(m, b) for m in ("linear", "mlp") for b in BACKENDS]
    for key, row in fresh.items():
        assert row["pass"] and row["maxAbsDiff"] <= row["tolerance"] == 1e-4, (key, row)
        assert row["leakedTensors"] == 0 and row["count"] == {"linear": 10, "mlp": 64}[key[0]]
    assert all(fresh[("mlp", b)]["argmaxAgreement"] == 1 for b in BACKENDS)


def test_drifted_python_outputs_fail_the_check(node_parity):
    """Negative control: a 1e-3 shift in one expected value (10x the tolerance) must be reported."""
    code, rows = node_parity
    assert code == 1
    for backend in BACKENDS:
        row = rows[("mlp-drifted", backend)]
        # Failed on parity, not on integrity: goldens.json was resealed, so the files themselves are consistent.
        assert not row["pass"] and "error" not in row, row
        assert row["maxAbsDiff"] > row["tolerance"]


def test_truncated_shard_is_refused_naming_the_file(node_parity, exported):
    _, rows = node_parity
    shard = json.loads((exported / "mlp" / "metadata.json").read_text())["files"][0]
    for backend in BACKENDS:
        row = rows[("mlp-truncated", backend)]
        assert not row["pass"]
        assert f"{shard['path']}: {shard['bytes'] - 100} bytes, metadata says {shard['bytes']}" in row["error"], row


def test_only_the_broken_copies_fail(node_parity):
    _, rows = node_parity
    assert sorted({folder for (folder, _), row in rows.items() if not row["pass"]}) == ["mlp-drifted", "mlp-truncated"]


def test_text_table_names_rows_by_folder(exported, tmp_path):
    """The table a user reads: one row per folder and backend, the columns the README describes."""
    shutil.copytree(exported / "linear", tmp_path / "renamed")
    result = verify(tmp_path / "renamed", "--backends", "cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("  ")[0] == "model" and "max |Δ|" in lines[0] and lines[0].endswith("result")
    assert lines[2].split()[:4] == ["renamed", "graph", "float32", "cpu"] and lines[2].endswith("pass")
    assert "all 1 checks passed" in result.stdout


def test_no_models_is_exit_2(tmp_path):
    result = verify(tmp_path)
    assert result.returncode == 2 and f"no model folders in {tmp_path}" in result.stderr
