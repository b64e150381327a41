"""The Markdown report from results: every section of a full run, optional ones left out when not measured."""

import copy
import json

from tfjs_bridge.bench import report
from tfjs_bridge.common.paths import CHECKOUT

RESULTS = json.loads((CHECKOUT / "bench" / "results.json").read_text())  # the tracked, published run
SECTIONS = ["# Benchmark report", "## Targets", "## Machine load", "## Physical limits", "## Training throughput",
            "## MirroredStrategy", "## Inference", "## Export", "## Server under load"]


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_a_full_run_has_every_section_in_order():
    found = [h for h in headings(report.markdown(RESULTS)) if h != "## Notes"]
    assert [next(s for s in SECTIONS if h.startswith(s)) for h in found] == SECTIONS
    # One targets row per target, each with its verdict.
    rows = [line for line in report.markdown(RESULTS).splitlines() if line.startswith("| ") and (" | >= " in line or " | <= " in line)]
    assert len(rows) == len(report.TARGETS)


def test_sections_not_measured_are_left_out_or_say_so():
    bare = copy.deepcopy(RESULTS)
    for key in ("load", "step_cost", "replicas", "export", "export_commands", "notes", "phases"):
        bare.pop(key, None)
    bare["smoke"] = True
    text = report.markdown(bare)
    assert "SMOKE RUN, figures not meaningful" in text.splitlines()[2]
    assert "Not measured in this run: `make test` writes bench/raw/load.json." in text
    for absent in ("## MirroredStrategy", "## Export", "## Notes", "Step cost of the project loop", "Whole `python -m export`"):
        assert absent not in text


def test_spread_is_the_median_with_its_range():
    assert report.spread({"median": 1234.4, "min": 0.012345, "max": 2}) == "1,234 (0.0123–2)"
