"""The import graph follows the pipeline common → train → export → verify → web, in Python and in JS.

Every Python and JS file of the checkout is parsed; each import it makes of the project is resolved to a file
and so to a layer. No file imports a later layer, no product file imports tests, and the finer rules each
stage keeps (export takes only the functional twins from train; web takes no training or export code) hold.
docs/architecture.md draws the graph this test checks.
"""

import ast
import functools
import os
import re
from pathlib import Path

import pytest

from tfjs_bridge.common.paths import CHECKOUT

# Layers in pipeline order; a file may import its own layer and any earlier one.
ORDER = ["common", "train", "export", "verify", "web", "roof", "bench", "tests"]
SKIP = {"node_modules", ".venv", ".git", "artifacts", "build", "dist", "web_models", "screenshots", "__pycache__"}
# Finer rules, on top of the order: (importer layer, imported layer) → the only modules allowed (prefixes).
ONLY = {
    ("export", "train"): ("train/models.py",),  # the functional twins of the project's subclassed models
    ("web", "train"): (),
    ("web", "export"): (),
}


def layer_of(rel: str) -> str | None:
    """The layer a checkout file belongs to (None: not project code, e.g. the schema's JSON is data)."""
    top = rel.split("/")[0]
    if rel.startswith("tfjs_bridge/common/"):
        return "common"
    if rel.startswith("tfjs_bridge/"):
        return "roof"  # the dispatcher, the version re-export
    if top in ("train", "export", "verify", "web", "bench"):
        return top
    if top in ("tests", "scripts"):
        return "tests"
    return None


def project_files(suffix: str) -> list[Path]:
    """Every file of the checkout with that suffix, outside installed and generated trees."""
    found = []
    for folder, dirs, names in os.walk(CHECKOUT):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith(".")]
        found += [Path(folder, n) for n in names if n.endswith(suffix)]
    return sorted(p for p in found if layer_of(p.relative_to(CHECKOUT).as_posix()))


def python_module_file(module: str) -> str | None:
    """The checkout file a dotted module name resolves to (tfjs_bridge.<stage> maps to the stage folder)."""
    parts = module.split(".")
    if parts[0] == "tfjs_bridge" and len(parts) > 1 and parts[1] in ("train", "export", "verify", "web", "bench"):
        parts = parts[1:]
    elif parts[0] not in ("tfjs_bridge", "train", "export", "verify", "web", "bench", "tests"):
        return None
    base = CHECKOUT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(CHECKOUT).as_posix()
    # `from package import name`: the package itself
    return python_module_file(".".join(module.split(".")[:-1])) if "." in module else None


def python_imports(path: Path) -> list[str]:
    """Checkout files that path imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [f for f in map(python_module_file, names) if f]
    return found


JS_IMPORT = re.compile(r"""(?:\bimport\s*(?:[\w*{}\s,]+from\s*)?|\bimport\s*\(\s*|\bnew\s+URL\s*\(\s*)['"]([^'"]+)['"]""")


def js_imports(path: Path) -> list[str]:
    """Checkout files that path imports (static and dynamic imports, worker URLs), resolved as the runtime would."""
    rel = path.relative_to(CHECKOUT)
    found = []
    for spec in JS_IMPORT.findall(path.read_text()):
        if not spec.startswith((".", "/")) or not spec.endswith(".js"):
            continue  # npm packages, node: builtins, data files
        if spec.startswith("/"):  # a URL in the page: /static/... is web/static, /verify/... the verify stage's js/
            target = Path("web", spec[1:]) if spec.startswith("/static/") else Path("verify", "js", spec.removeprefix("/verify/"))
        elif rel.parts[:2] == ("web", "static"):  # the page's modules resolve against their URL, /static/js/...
            url = (Path("/static") / Path(*rel.parts[2:]).parent / spec).resolve()
            target = Path("web", *url.parts[1:]) if url.parts[1] == "static" else Path("verify", "js", *url.parts[2:])
        else:
            target = (CHECKOUT / rel.parent / spec).resolve().relative_to(CHECKOUT)
        found.append(target.as_posix())
    return found


@functools.cache
def arrows() -> list[tuple[str, str]]:
    """(importer, imported) for every project import in Python and JS."""
    return [(p.relative_to(CHECKOUT).as_posix(), t) for p in project_files(".py") for t in python_imports(p)] + \
        [(p.relative_to(CHECKOUT).as_posix(), t) for p in project_files(".js") for t in js_imports(p)]


def wrong_arrow(src: str, dst: str) -> str | None:
    """Why src may not import dst, or None when it may."""
    a, b = layer_of(src), layer_of(dst)
    if b is None:
        return None
    if ORDER.index(b) > ORDER.index(a):
        # A stage's `python -m STAGE` alias runs the dispatcher, which hands it later stages' work (export --verify).
        if src.endswith("/__main__.py") and dst == "tfjs_bridge/cli.py":
            return None
        return f"{a} imports later layer {b}"
    allowed = ONLY.get((a, b))
    if allowed is not None and not dst.startswith(allowed):
        return f"{a} may import only {allowed or 'nothing'} of {b}"
    return None


def test_the_checker_sees_the_project():
    found = arrows()
    assert len(found) > 150, found  # the project's own imports, in both languages
    assert ("verify/node/check.js", "verify/js/parity.js") in found
    assert ("web/static/js/app.js", "verify/js/parity.js") in found  # the page imports the verify stage's shared js
    assert ("verify/cli.py", "verify/node.py") in found
    assert ("export/twins.py", "train/models.py") in found


def test_the_checker_catches_arrows_against_the_pipeline():
    # Negative controls: what the layering forbids must be reported.
    assert wrong_arrow("tfjs_bridge/common/paths.py", "tfjs_bridge/__init__.py") == "common imports later layer roof"
    assert wrong_arrow("export/cli.py", "verify/node.py") == "export imports later layer verify"
    assert wrong_arrow("verify/node/load.js", "web/static/js/loader.js") == "verify imports later layer web"
    assert wrong_arrow("bench/browser.js", "tests/support/paths.js") == "bench imports later layer tests"
    assert wrong_arrow("export/cli.py", "train/loop.py").startswith("export may import only")
    assert wrong_arrow("web/api.py", "export/convert.py").startswith("web may import only")
    assert wrong_arrow("tests/test_cli.py", "web/api.py") is None


@pytest.mark.parametrize("language", [".py", ".js"])
def test_no_import_goes_against_the_pipeline(language):
    wrong = sorted({f"{src} → {dst}: {why}" for src, dst in arrows() if src.endswith(language)
                    for why in [wrong_arrow(src, dst)] if why})
    assert wrong == [], "\n".join(wrong)


def test_every_import_resolves_to_a_file():
    missing = sorted({f"{src} → {dst}" for src, dst in arrows() if not (CHECKOUT / dst).is_file()})
    assert missing == [], "\n".join(missing)
