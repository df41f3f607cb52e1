"""`python -m kb`. Guarded: multiprocessing's forkserver children import the main module."""

import sys

from kb.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
