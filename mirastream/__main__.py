"""``python -m mirastream``: the same command line as ``mirastream`` (see :mod:`mirastream.cli`)."""

from __future__ import annotations

import sys

from mirastream.cli import main

if __name__ == "__main__":
    sys.exit(main())
