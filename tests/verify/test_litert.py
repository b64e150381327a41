"""LiteRT.js in the Node harness: litert-wasm rows beside tf.js's, judged by the same rules, and caught when wrong."""

import shutil

import tfjs_bridge
from tests.support.helpers import edited_copy, shift_first_output, verify, verify_json


def test_litert_rows_join_the_table_and_the_fastest_backend_is_named(litert_folder, tmp_path):
    """One run: the fresh folder on every default backend, two broken copies (negative controls) on LiteRT.js."""
    # 1e-3 on one expected value is 10x the float32 tolerance: LiteRT.js must be caught on parity alone.
    edited_copy(litert_folder, tmp_path / "drifted", goldens=shift_first_output(1e-3))
    tampered = shutil.copytree(litert_folder, tmp_path / "tampered")
    blob = bytearray((tampered / "model.tflite").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tampered / "model.tflite").write_bytes(bytes(blob))
    code, rows = verify_json(litert_folder, tmp_path)
    assert code == 1
    fresh = [rows[(litert_folder.name, b)] for b in ("cpu", "wasm", "litert-wasm")]
    assert all(r["pass"] for r in fresh), fresh
    row = fresh[2]
    assert (row["runtime"], row["format"], row["quantization"], row["count"]) == ("litert", "tflite", "float32", 16)
    assert row["maxAbsDiff"] <= row["tolerance"] == 1e-4 and row["argmaxAgreement"] == 1 and row["leakedTensors"] == 0
    drifted = rows[("drifted", "litert-wasm")]
    assert not drifted["pass"] and "error" not in drifted and drifted["maxAbsDiff"] > drifted["tolerance"]
    assert "model.tflite: sha256 mismatch, the TFLite model's bytes were altered" in rows[("tampered", "litert-wasm")]["error"]
    table = verify(litert_folder).stdout
    assert f"fastest for {litert_folder.name}: " in table and "all 3 checks passed" in table


def test_folders_without_tflite_get_no_litert_row_unless_asked(litert_folder, tmp_path):
    plain = edited_copy(litert_folder, tmp_path / "plain", metadata=lambda meta: meta.pop("litert"))  # a tf.js-only export
    _, rows = verify_json(plain)
    assert sorted(b for _, b in rows) == ["cpu", "wasm"]
    code, rows = verify_json(plain, "--backends", "litert-wasm")
    row = rows[("plain", "litert-wasm")]
    assert code == 1 and row["unsupported"] == "no model.tflite in the folder (export with --runtime tfjs,litert)"


def test_api_verifies_both_runtimes(keras_modules):
    from tests.support.keras_models import tiny_classifier

    report = tfjs_bridge.verify(tiny_classifier(keras_modules["keras3"]), runtimes=("tfjs", "litert"), format="graph")
    assert sorted(r["backend"] for r in report.rows) == ["cpu", "litert-wasm", "wasm"] and report.passed


def test_explain_names_litert_rows_it_cannot_walk(tmp_path):
    from tfjs_bridge.verify.explain import explain_row

    row = {"folder": "m", "backend": "litert-wasm", "runtime": "litert", "pass": False, "maxAbsDiff": 1.0, "tolerance": 1e-4}
    (line,) = explain_row(None, tmp_path, row)["lines"]
    assert line.startswith("explain m on litert-wasm: LiteRT.js rows are not explained node by node")
