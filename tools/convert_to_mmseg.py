#!/usr/bin/env python
"""Thin script for `seed convert --to mmseg`: tools/convert_to_mmseg.py IN OUT [--arch A] [--layout L]."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main(["convert", "--to", "mmseg", *sys.argv[1:]]))
