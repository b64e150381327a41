"""`python -m export`: kept thin on purpose; the work is in export.cli and export.convert."""

import sys

from export.cli import main

sys.exit(main())
