"""The Node side from Python (the verify stage's harness): find Node and the tf.js harness, install it where no checkout has it, run it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tfjs_bridge.common import paths
from tfjs_bridge.common.errors import UserError

HARNESS = Path("verify") / "verify.js"
# What the harness needs of this package, copied beside node_modules by setup-node (the layout of the checkout);
# package.json and its lock file make `npm ci` install exactly the tf.js the project pins (offline from npm's cache).
HARNESS_FILES = ("verify/verify.js", "verify/node", "verify/js", "tfjs_bridge/common/model-folder.schema.json",
                 "package.json", "package-lock.json")
MIN_NODE = 20


def node_binary() -> str:
    """The `node` on PATH, at least version 20, or UserError saying how to get it."""
    node = shutil.which("node")
    if node is None:
        raise UserError("Node.js is not installed: install Node 20 or later (e.g. `apt-get install nodejs`), then "
                        "run `tfjs-bridge setup-node`")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("v") or int(version[1:].split(".")[0]) < MIN_NODE:
        raise UserError(f"Node.js {version or '(unknown version)'} is too old: tfjs-bridge needs Node {MIN_NODE} or later")
    return node


def harness() -> tuple[str, Path]:
    """Node and the verify script of a harness whose node_modules hold tf.js, or UserError saying how to install it."""
    node = node_binary()
    home = paths.node_home()
    script = home / HARNESS
    # LiteRT.js came later: a harness installed before it would fail on its first import, so it is checked too.
    packages = [home / "node_modules" / p for p in (Path("@tensorflow") / "tfjs", Path("@litertjs") / "core")]
    if not all(p.is_dir() for p in packages) or not script.is_file():
        raise UserError(f"tf.js and LiteRT.js for Node are not installed (looked in {home}): run `tfjs-bridge setup-node` "
                        "(or `npm ci` in a checkout)")
    # A harness set up by an older version may lack a package added since (the schema validator, say).
    pins = json.loads(harness_file("package.json").read_text())["dependencies"]
    missing = [name for name in pins if not (home / "node_modules" / name / "package.json").is_file()]
    if missing:
        raise UserError(f"{missing[0]} is not installed beside the harness in {home}: run `tfjs-bridge setup-node` "
                        "(or `npm ci` in a checkout)")
    return node, script


def run_harness(args: list[str], capture: bool = False) -> int | subprocess.CompletedProcess:
    """Run the Node parity harness with args; its output goes to the terminal (or is captured)."""
    node, script = harness()
    command = [node, str(script), *args]
    if capture:
        return subprocess.run(command, capture_output=True, text=True)
    return subprocess.run(command).returncode


def harness_file(rel: str) -> Path:
    """A harness file named by its checkout path, in the checkout or in the installed package (verify/ → tfjs_bridge/verify/).

    The wheel carries package.json and package-lock.json as tfjs_bridge/common/npm/ (symbolic links in the checkout).
    """
    if paths.CHECKOUT:
        return paths.CHECKOUT / rel
    if "/" not in rel:
        return paths.PACKAGE / "common" / "npm" / rel
    return paths.PACKAGE / rel.removeprefix("tfjs_bridge/")


def setup_node(target: Path | None = None, offline: bool = False) -> Path:
    """Copy the harness beside a fresh node_modules (npm install of the pinned tf.js packages); return the folder."""
    node_binary()
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("npm is not installed: install it with Node.js (e.g. `apt-get install npm`)")
    target = Path(target or paths.NODE_CACHE)
    target.mkdir(parents=True, exist_ok=True)
    for rel in HARNESS_FILES:
        src, dst = harness_file(rel), target / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    command = [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error", *(["--offline"] if offline else [])]
    pins = json.loads(harness_file("package.json").read_text())["dependencies"]
    print(f"installing {', '.join(f'{k}@{v}' for k, v in pins.items())} into {target}", file=sys.stderr)
    if subprocess.run(command, cwd=target).returncode != 0:
        raise UserError(f"npm install failed in {target}: see npm's message above")
    return target
