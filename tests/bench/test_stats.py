"""The benchmark's statistics: interleaved rounds, paired ratios, the line fit, load-checked phases."""

import pytest

from tfjs_bridge.bench import stats


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
