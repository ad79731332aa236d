#!/usr/bin/env python
"""Thin script for `seed distill` (works under torchrun too): tools/distill.py --config FILE [KEY=VALUE ...]."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main(["distill", *sys.argv[1:]]))
