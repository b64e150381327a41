"""`python -m train`: kept thin on purpose; the work is in train.cli and the library modules."""

import sys

from train.cli import main

sys.exit(main())
