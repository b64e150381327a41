"""`tfjs-bridge bench`: the benchmark scripts run end to end in smoke mode (tiny sizes); real figures come from `make bench`."""

import json

import pytest


@pytest.mark.slow
def test_bench_smoke_writes_results_report_and_chart(cli, tmp_path):
    from tests.suite.models import resnet

    # The suite's ResNet, saved by its own builder as `make bench` does (seeded: the same model each time, so the
    # bench's export of it in build/bench/ is reused after the first run).
    cnn = resnet(tmp_path)
    # `tfjs-bridge bench` in this process (TensorFlow is already loaded); its own replica runs are processes.
    out = tmp_path / "out"
    result = cli("bench", "--smoke", "--out", out, "--cnn", cnn)
    assert result.code == 0, result.err[-2000:]
    results = json.loads((out / "results.json").read_text())
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
    # The CNN in the same interleaved comparison: TF-Python, tf.js wasm and LiteRT.js wasm, in Node and Chromium.
    on_cnn = {(r["runtime"], r["backend"]) for r in results["inference"] if r["model"] == "resnet"}
    assert {("python", "tensorflow"), ("node", "wasm"), ("node", "litert-wasm"), ("chromium", "wasm (threads)"),
            ("chromium", "litert-wasm")} <= on_cnn
    assert results["cnn"]["forward_flops"] > 1e6
    assert all({"load_before", "load_after", "steady"} <= p.keys() for p in results["phases"])
    assert {r["quantization"] for r in results["export"]} == {"float32", "uint8"}
    assert {t["target"] for t in results["targets"]} >= {"tape_vs_fit_32", "tape_fraction_of_limit_100",
                                                         "node_vs_python_big", "web_vs_python_big",
                                                         "cnn_web_vs_python_batch1", "uint8_bytes_fraction"}
    assert "SMOKE RUN" in (out / "report.md").read_text()
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, message", [(["--smoke"], "--smoke needs --out"),
                                           (["--publish", "--out", "x"], "--publish writes bench/ itself")])
def test_only_a_real_publish_run_may_overwrite_the_tracked_report(cli, args, message):
    result = cli("bench", *args)
    assert result.code == 2 and message in result.err
