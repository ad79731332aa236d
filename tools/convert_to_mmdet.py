#!/usr/bin/env python
"""Thin script for `seed convert --to mmdet`: tools/convert_to_mmdet.py IN OUT [--arch A] [--layout L]."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main(["convert", "--to", "mmdet", *sys.argv[1:]]))
