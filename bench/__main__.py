"""`python -m bench`: kept thin on purpose; the work is in bench.cli and the benchmark modules."""

import sys

from bench.cli import main

sys.exit(main())
