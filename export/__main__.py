"""`python -m export` from a checkout: the same command as `tfjs-bridge export` (the dispatcher hands it the verifier)."""

import sys

from tfjs_bridge.cli import run

sys.exit(run("export", sys.argv[1:], prog="python -m export"))
