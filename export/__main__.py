"""`python -m export` from a checkout: the same command as `tfjs-bridge export`."""

import sys

from tfjs_bridge.export.cli import main

sys.exit(main(prog="python -m export"))
