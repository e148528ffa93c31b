#!/usr/bin/env python
"""Django's command-line utility; `palermo` is the same with a friendlier name."""

import sys

from palermo.cli import main

if __name__ == "__main__":
    sys.exit(main())
