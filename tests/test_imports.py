"""The import graph follows the data flow: common ← train ← export, common ← web; no stage imports a later one."""

import ast
from pathlib import Path

import pytest

from tfjs_bridge.common.paths import CHECKOUT

STAGES = {"common": CHECKOUT / "tfjs_bridge" / "common", "train": CHECKOUT / "train", "export": CHECKOUT / "export",
          "web": CHECKOUT / "web", "bench": CHECKOUT / "bench"}
# What each stage may import from the project (besides itself). export builds the project's own subclassed
# models from train.models (the functional twins), and nothing else of training.
ALLOWED = {
    "common": set(),
    "train": {"tfjs_bridge.common"},
    "export": {"tfjs_bridge.common", "tfjs_bridge.train.models"},
    "web": {"tfjs_bridge.common"},
    "bench": {"tfjs_bridge.common", "tfjs_bridge.train", "tfjs_bridge.export", "tfjs_bridge.web"},
}


def project_imports(folder: Path) -> set[tuple[str, str]]:
    """(file, module) for every tfjs_bridge module imported anywhere in folder's Python files."""
    found = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            found |= {(path.name, n) for n in names if n.split(".")[0] in ("tfjs_bridge", "train", "export", "web", "bench")}
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_stage_imports_only_what_it_may(stage):
    own = "tfjs_bridge.common" if stage == "common" else f"tfjs_bridge.{stage}"
    allowed = ALLOWED[stage] | {own}
    # The namespace root itself (tfjs_bridge/__init__.py: the version, a lazy verify()) is open to every stage.
    wrong = sorted((f, m) for f, m in project_imports(STAGES[stage])
                   if m != "tfjs_bridge" and not any(m == a or m.startswith(a + ".") for a in allowed))
    assert wrong == [], f"{stage} imports outside its layer: {wrong}"
