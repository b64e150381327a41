"""The benchmark scripts run end to end in smoke mode (tiny sizes); real figures come from `make bench`."""

import json
import subprocess
import sys

from tfjs_bridge.common.paths import CHECKOUT


def test_bench_smoke_writes_results_report_and_chart(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)], cwd=CHECKOUT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["smoke"] is True
    variants = {r["variant"] for r in results["training"]["rows"]}
    assert {"Keras fit", "eager", "tf.function"} <= variants and any(v.startswith("project loop") for v in variants)
    runtimes = {(r["runtime"], r["backend"]) for r in results["inference"]}
    assert {("python", "tensorflow"), ("node", "wasm"), ("chromium", "webgl")} <= runtimes
    assert {r["quantization"] for r in results["export"]} == {"float32", "uint8"}
    assert {t["target"] for t in results["targets"]} >= {"tape_vs_fit", "node_vs_python_big", "uint8_bytes_fraction"}
    assert "SMOKE RUN" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"

