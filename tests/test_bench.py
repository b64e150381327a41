"""The benchmark scripts run end to end in smoke mode (tiny sizes); real figures come from `make bench`."""

import json

import pytest


@pytest.mark.slow
def test_bench_smoke_writes_results_report_and_chart(cli, tmp_path):
    # `tfjs-bridge bench` in this process (TensorFlow is already loaded); its own replica runs are processes.
    result = cli("bench", "--smoke", "--out", tmp_path)
    assert result.code == 0, result.err[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["smoke"] is True
    variants = {r["variant"] for r in results["training"]["rows"]}
    assert {"Keras fit", "eager", "tf.function"} <= variants and any(v.startswith("project loop") for v in variants)
    assert {(r["devices"], r["global_batch"]) for r in results["replicas"]} == {(1, 500), (2, 500)}
    runtimes = {(r["runtime"], r["backend"]) for r in results["inference"]}
    assert {("python", "tensorflow"), ("node", "wasm"), ("chromium", "webgl")} <= runtimes
    assert {r["quantization"] for r in results["export"]} == {"float32", "uint8"}
    assert {t["target"] for t in results["targets"]} >= {"tape_vs_fit", "node_vs_python_big", "uint8_bytes_fraction"}
    assert "SMOKE RUN" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"

