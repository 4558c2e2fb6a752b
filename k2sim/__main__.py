"""``python -m k2sim``: run from the source tree (k2sim is not part of the K2Cloud package)."""

import sys

from .cli import main

sys.exit(main())
