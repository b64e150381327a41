"""`python -m train` from a checkout: the same command as `tfjs-bridge train`."""

import sys

from tfjs_bridge.train.cli import main

sys.exit(main(prog="python -m train"))
