"""`python -m verify` (from a checkout): the same as `tfjs-bridge verify`."""

import sys

from tfjs_bridge.verify.cli import main

sys.exit(main(sys.argv[1:], prog="python -m verify"))
