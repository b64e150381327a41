"""The README and docs/ stay true to the checkout: links resolve, named files exist, commands and options exist.

Every relative link in README.md and docs/*.md must reach a file (and its #anchor a heading); every checkout path
in a code span must exist; every `tfjs-bridge COMMAND --option` (and `python -m STAGE --option`,
`tfjs-bridge-verify --option`), `make TARGET` and `npm run SCRIPT` in code must exist. The command lines' options
come from the parsers themselves, built in this process without importing TensorFlow. The generated parts (the
import graph in docs/architecture.md, the support table) must match what generates them.
"""

import ast
import contextlib
import functools
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tfjs_bridge.cli
from tests.architecture import drawing, drawn
from tfjs_bridge.common.paths import CHECKOUT

PAGES = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
EACH_PAGE = pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(CHECKOUT).as_posix() for p in PAGES])
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"!?\[(?:[^\]]|\][^(])*?\]\(([^)\s]+)\)")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# A command line starts a code line or span (after a `$ ` prompt, VAR=value settings or a path such as .venv/bin/).
START = r"^(?:\$\s+)?(?:[A-Z_]+=\S*\s+)*(?:\S*/)?"
# Code that runs a command, and the option set it takes: (pattern whose last group is the rest of the line, command).
RUNNERS = [
    (re.compile(START + r"tfjs-bridge-verify\b(.*)"), "tfjs-bridge-verify"),
    (re.compile(START + r"(?:tfjs-bridge|python -m tfjs_bridge)(?![\w-])\s+([a-z][\w-]*)(.*)"), None),
    (re.compile(START + r"python -m (train|export|bench|web\.serve)\b(.*)"), None),
]
MAKE = re.compile(START + r"make\s+([a-z][\w-]*)")
PY_MODULE = re.compile(START + r"python -m ([\w.]+)")
NPM_RUN = re.compile(START + r"npm run\s+(?:--\w+\s+)*([\w:-]+)")
MODULE_COMMANDS = {"train": "train", "export": "export", "bench": "bench", "web.serve": "serve"}
# Checkout paths in code spans must exist, except what is generated and git-ignored.
STAGE_ROOTS = ("tfjs_bridge", "train", "export", "verify", "web", "bench", "tests", "scripts", "docs")
GENERATED = ("web/models", "web_models", "artifacts", "bench/raw", "build", "screenshots")
CHECKOUT_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+/?")


def split_code(text: str) -> tuple[str, list[str]]:
    """(the prose with code removed, the code: each fenced block's lines and each inline span)."""
    code = [line for block in FENCE.findall(text) for line in block.splitlines()]
    prose = FENCE.sub("", text)
    code += [" ".join(m[2].split()) for m in SPAN.finditer(prose)]  # a span may wrap across lines
    return SPAN.sub("", prose), code


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (but - and _), spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@functools.cache
def anchors(page: Path) -> set[str]:
    """Every heading's anchor in a Markdown page (a repeated heading gets -1, -2, ... as on GitHub)."""
    seen, found = {}, set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", page.read_text()), re.M):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def broken_link(page: Path, target: str) -> str | None:
    """Why a link from page does not resolve, or None (web links are not followed: tests run offline)."""
    if re.match(r"[a-z]+:", target):
        return None
    path, _, anchor = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    if not file.exists():
        return f"{target}: no such file"
    if anchor and file.suffix == ".md" and anchor not in anchors(file):
        return f"{target}: no heading #{anchor} in {file.relative_to(CHECKOUT)}"
    return None


def missing_path(span: str) -> str | None:
    """Why a code span naming a checkout file is stale, or None (not a path, a generated one, or present)."""
    if not CHECKOUT_PATH.fullmatch(span) or span.split("/")[0] not in STAGE_ROOTS or span.startswith(GENERATED):
        return None
    return None if (CHECKOUT / span).exists() else f"{span}: no such file in the checkout"


def help_options(argv: list[str]) -> set[str]:
    """The options one command's --help lists in its usage lines (argparse, in this process); help texts may
    mention other commands' options (verify's --backends names export's --runtime)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        tfjs_bridge.cli.main([*argv, "--help"])
    return set(OPTION.findall(out.getvalue().split("\n\n")[0])) | {"--help"}  # usage shows it as -h


@functools.cache
def options() -> dict[str, set[str]]:
    """{command: its options} for every tfjs-bridge subcommand and the npm package's tfjs-bridge-verify."""
    found = {name: help_options([name]) for name in tfjs_bridge.cli.COMMANDS}
    usage = re.search(r"const USAGE = `(.*?)`;", (CHECKOUT / "verify" / "verify.js").read_text(), re.S)[1]
    found["tfjs-bridge-verify"] = set(OPTION.findall(usage))
    return found


@functools.cache
def make_targets() -> set[str]:
    """The Makefile's targets (its phony ones and plain rule names)."""
    text = (CHECKOUT / "Makefile").read_text()
    rules = re.findall(r"^([A-Za-z][\w.-]*(?:[ \t]+[A-Za-z][\w.-]*)*)[ \t]*:(?!=)", text, re.M)
    return {name for rule in rules for name in rule.split()} | set(re.search(r"^\.PHONY:(.*)$", text, re.M)[1].split())


def missing_module(module: str) -> str | None:
    """Why `python -m module` of the checkout cannot run, or None (another package's module, or one that exists)."""
    parts = module.split(".")
    if parts[0] == "tfjs_bridge" and len(parts) > 1 and parts[1] in STAGE_ROOTS:
        parts = parts[1:]
    if parts[0] not in (*STAGE_ROOTS, "tfjs_bridge"):
        return None
    base = CHECKOUT.joinpath(*parts)
    return None if base.with_suffix(".py").is_file() or (base / "__main__.py").is_file() else f"python -m {module}: no such module"


def wrong_commands(line: str) -> list[str]:
    """What a line of code names that does not exist: subcommands, their options, make targets, npm scripts."""
    scripts = json.loads((CHECKOUT / "package.json").read_text())["scripts"]
    wrong = []
    for segment in (s.strip() for s in re.split(r"&&|;|\s#\s", line.split("  # ")[0])):
        for pattern, fixed in RUNNERS:
            match = pattern.match(segment)
            if not match:
                continue
            command, rest = fixed or MODULE_COMMANDS.get(match[1], match[1]), match[match.lastindex]
            if command not in options():
                wrong.append(f"{command}: no such command")
                continue
            wrong += [f"{command} {opt}: no such option" for opt in OPTION.findall(rest) if opt not in options()[command]]
        wrong += [f"make {m[1]}: no such target" for m in [MAKE.match(segment)] if m and m[1] not in make_targets()]
        wrong += [f"npm run {m[1]}: no such script" for m in [NPM_RUN.match(segment)] if m and m[1] not in scripts]
        wrong += [why for m in [PY_MODULE.match(segment)] if m for why in [missing_module(m[1])] if why]
    return wrong


def test_the_checkers_catch_what_is_wrong():
    # Negative controls: each kind of stale reference must be reported.
    readme = CHECKOUT / "README.md"
    assert broken_link(readme, "docs/nope.md") == "docs/nope.md: no such file"
    assert broken_link(readme, "docs/verify.md#no-such-heading").startswith("docs/verify.md#no-such-heading: no heading")
    assert broken_link(readme, "docs/verify.md#tolerances") is None and broken_link(readme, "https://x.y/#z") is None
    assert missing_path("web/node/pool.js") == "web/node/pool.js: no such file in the checkout"
    assert missing_path("verify/node/pool.js") is None and missing_path("web/models/mlp/model.json") is None
    assert wrong_commands("tfjs-bridge export m.keras --fromat graph   # a typo") == ["export --fromat: no such option"]
    assert wrong_commands(".venv/bin/tfjs-bridge deploy") == ["deploy: no such command"]
    assert wrong_commands("error: this tfjs-bridge reads 3.x") == []  # a message quoting the name runs nothing
    assert wrong_commands("python -m train mlp --epochs 3 --turbo") == ["train --turbo: no such option"]
    assert wrong_commands("python -m tfjs_bridge.demo") == ["python -m tfjs_bridge.demo: no such module"]
    assert wrong_commands("python -m tests.suite.table --write; python -m http.server -d site 8000") == []
    assert wrong_commands("tfjs-bridge-verify web_models --json-out f --gpu") == ["tfjs-bridge-verify --gpu: no such option"]
    assert wrong_commands("make demo SERVE=0 && make deploy") == ["make deploy: no such target"]
    assert wrong_commands("make deploy") == ["make deploy: no such target"]
    assert wrong_commands("npm run --silent verify; CHROMIUM_PATH=/x npm run build") == ["npm run build: no such script"]
    assert slug("Static sites: `tfjs-bridge serve --static DIR`") == "static-sites-tfjs-bridge-serve---static-dir"
    bullets = "### Options\n\n- **`tfjs-bridge serve`**: `--host`,\n  `--nope`.\n- **`tfjs-bridge bench`**: `--rounds N`.\n\n## Next"
    assert option_bullets(bullets) == {"serve": {"--host", "--nope"}, "bench": {"--rounds"}}


def test_the_parsers_are_read_without_tensorflow():
    before = "tensorflow" in sys.modules
    assert {"--format", "--quantize", "--verify"} <= options()["export"]
    assert {"--explain", "--backends"} <= options()["verify"] and "--json-out" in options()["tfjs-bridge-verify"]
    assert {"demo", "test", "suite", "bench"} <= make_targets()
    assert before or "tensorflow" not in sys.modules


@EACH_PAGE
def test_links_resolve(page):
    prose, _ = split_code(page.read_text())
    broken = [why for target in LINK.findall(prose) for why in [broken_link(page, target)] if why]
    assert broken == [], "\n".join(broken)


@EACH_PAGE
def test_named_files_exist(page):
    _, code = split_code(page.read_text())
    stale = sorted({why for span in code for why in [missing_path(span)] if why})
    assert stale == [], "\n".join(stale)


@EACH_PAGE
def test_commands_options_targets_and_scripts_exist(page):
    _, code = split_code(page.read_text())
    wrong = sorted({why for line in code for why in wrong_commands(line)})
    assert wrong == [], "\n".join(wrong)


def option_bullets(text: str) -> dict[str, set[str]]:
    """{command: the options its bullet names} from the Options list of docs/commands.md."""
    section = text.split("### Options", 1)[1].split("\n#", 1)[0]
    bullets = re.findall(r"^- \*\*`tfjs-bridge ([\w-]+)[^`]*`\*\*(.*?)(?=^- |\Z)", section, re.M | re.S)
    return {command: set(OPTION.findall(body)) for command, body in bullets}


def test_commands_page_documents_every_command_and_option():
    text = (CHECKOUT / "docs" / "commands.md").read_text()
    assert [c for c in tfjs_bridge.cli.COMMANDS if f"| `{c}" not in text] == [], "a command missing from the table"
    documented = option_bullets(text)
    for command, (_, prefix, _) in tfjs_bridge.cli.COMMANDS.items():
        accepted = options()[command] - {"--help"}
        if not prefix and command != "demo":  # its own parser: every option it takes is documented, and no other
            assert documented.get(command) == accepted, command
        else:  # a parser shared with another command (devices, tape-demo) or none (demo, setup-node's two)
            assert documented.get(command, set()) <= accepted, command


def test_readme_is_a_front_page():
    text = (CHECKOUT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    linked = {Path(t.partition("#")[0]).name for t in LINK.findall(split_code(text)[0])}
    assert {p.name for p in PAGES[1:]} <= linked, "every docs/ page is linked from the README"


def test_architecture_draws_the_import_graph_of_the_code():
    assert drawn() == drawing(), "redraw it: python -m tests.architecture --write"


def test_support_table_names_every_suite_case():
    # Cheap beside tests/e2e/test_suite.py's full check against a run: the suite's cases, read without importing it.
    tree = ast.parse((CHECKOUT / "tests" / "suite" / "models.py").read_text())
    cases = next(node.value for node in tree.body if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CASES")
    # Cases written out by hand; generated lists spliced in (*HUB_CASES) are checked against a run in tests/e2e/.
    kinds = [call.args[1].value for call in cases.elts if isinstance(call, ast.Call)]
    table = (CHECKOUT / "docs" / "support-table.md").read_text()
    assert len(kinds) > 20 and [k for k in kinds if f"| {k} |" not in table and f"- {k} (" not in table] == []


def test_no_measured_figure_is_copied_by_hand():
    # Figures of one run belong to the generated files (bench/report.md, the support table), not to these pages.
    generated = {"support-table.md"}
    copies = [p.name for p in PAGES if p.name not in generated and "0.9470" in p.read_text()]
    assert copies == []


@pytest.mark.skipif(not (CHECKOUT / ".git").exists(), reason="not a git checkout")
def test_linked_files_are_tracked():
    # A link to a git-ignored file (a local build output) would work here and break for every reader.
    targets = {(page.parent / t.partition("#")[0]).resolve() for page in PAGES
               for t in LINK.findall(split_code(page.read_text())[0]) if not re.match(r"[a-z]+:", t) and t.partition("#")[0]}
    rel = [str(t.relative_to(CHECKOUT)) for t in targets]
    ignored = subprocess.run(["git", "check-ignore", *rel], cwd=CHECKOUT, capture_output=True, text=True).stdout.split()
    assert ignored == []
