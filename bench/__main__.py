"""`python -m bench` from a checkout: the same command as `tfjs-bridge bench`."""

import sys

from tfjs_bridge.bench.cli import main

sys.exit(main(prog="python -m bench"))
