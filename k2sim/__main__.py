"""``python -m k2sim`` is the same as the ``k2sim`` console script."""

import sys

from .cli import main

sys.exit(main())
