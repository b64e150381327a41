"""`python -m tfjs_bridge.demo`: train both demo models and export them in one process (TensorFlow imported once)."""

import sys

from tfjs_bridge.export.cli import main as export
from tfjs_bridge.train.cli import main as train

OUT = "web/models"
# The commands `make demo` used to run as four processes, each paying TensorFlow's ~6 s import.
STEPS = [
    (train, ["linear"]),
    (train, ["mlp"]),
    (export, ["linear", "mlp", "--out", OUT]),
    (export, ["mlp", "--format", "layers", "--out", OUT]),  # trainable in tf.js (tests/js/trainable.test.js)
]


def main() -> int:
    """Run every step in turn; stop at the first that fails, with its exit code."""
    for command, argv in STEPS:
        code = command(argv)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
