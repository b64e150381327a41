"""The benchmark scripts run end to end in smoke mode (tiny sizes); real figures come from `make bench`."""

import json

import pytest

from tfjs_bridge.bench import stats


@pytest.mark.slow
def test_bench_smoke_writes_results_report_and_chart(cli, tmp_path):
    # `tfjs-bridge bench` in this process (TensorFlow is already loaded); its own replica runs are processes.
    result = cli("bench", "--smoke", "--out", tmp_path)
    assert result.code == 0, result.err[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["smoke"] is True
    variants = {r["variant"] for r in results["training"]["rows"]}
    assert {"Keras fit", "tf.function"} <= variants and any(v.startswith("project loop") for v in variants)
    assert all(len(r["rounds"]) == 2 for r in results["training"]["rows"])  # interleaved repeats, not one run
    assert len(results["step_cost"]["step_ms"]) >= 3 and "r2" in results["step_cost"]
    assert results["training"]["wasm_matmul_gflops_per_thread"] > 0
    runtimes = {(r["runtime"], r["backend"]) for r in results["inference"]}
    assert {("python", "tensorflow"), ("node", "wasm"), ("node", "pool"), ("chromium", "webgl"),
            ("chromium", "wasm (threads)"), ("chromium", "wasm (1 thread)"),
            ("node", "litert-wasm"), ("node", "litert-wasm (relaxed SIMD)"), ("chromium", "litert-wasm")} <= runtimes
    assert all({"load_before", "load_after", "steady"} <= p.keys() for p in results["phases"])
    assert {r["quantization"] for r in results["export"]} == {"float32", "uint8"}
    assert {t["target"] for t in results["targets"]} >= {"tape_vs_fit_32", "tape_fraction_of_limit_100",
                                                         "node_vs_python_big", "uint8_bytes_fraction"}
    assert "SMOKE RUN" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, message", [(["--smoke"], "--smoke needs --out"),
                                           (["--publish", "--out", "x"], "--publish writes bench/ itself")])
def test_only_a_real_publish_run_may_overwrite_the_tracked_report(cli, args, message):
    result = cli("bench", *args)
    assert result.code == 2 and message in result.err


def test_interleaved_rounds_alternate_the_sides_and_ratios_pair_rounds():
    calls = []
    samples = stats.interleave({"a": lambda: calls.append("a") or 2.0, "b": lambda: calls.append("b") or 4.0}, 3)
    assert calls == ["a", "b"] * 3 and samples == {"a": [2.0] * 3, "b": [4.0] * 3}
    assert stats.ratio([1, 2, 9], [2, 2, 3]) == {"median": 1.0, "min": 0.5, "max": 3.0}


def test_line_fit_reports_its_quality():
    exact = stats.line_fit([32, 100, 250], [1.0 + 0.01 * b for b in (32, 100, 250)])
    assert exact["intercept"] == pytest.approx(1.0) and exact["slope"] == pytest.approx(0.01) and exact["r2"] == pytest.approx(1)
    assert stats.line_fit([32, 100, 250], [1.0, 3.0, 1.5])["r2"] < 0.5  # no line explains these


def test_a_phase_is_repeated_while_the_load_moves(monkeypatch):
    loads = iter([1.0, 3.5, 2.0, 2.5])  # before/after: moved 2.5 cores (repeat), then 0.5 (steady)
    monkeypatch.setattr(stats.os, "getloadavg", lambda: (next(loads), 0.0, 0.0))
    runs = []
    result, record = stats.load_checked("x", lambda: runs.append(1) or len(runs), log=lambda msg: None)
    assert result == 2 and record.pop("seconds") >= 0
    assert record == {"phase": "x", "load_before": 2.0, "load_after": 2.5, "attempts": 2, "steady": True}
