"""`python -m tfjs_bridge`: the same as the `tfjs-bridge` command."""

import sys

from tfjs_bridge.cli import main

sys.exit(main())
