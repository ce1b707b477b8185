#!/usr/bin/env python
"""Django's command-line utility; the same as `servicecycle manage ...`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from servicecycle.cli import manage

if __name__ == "__main__":
    sys.exit(manage(sys.argv[1:]))
