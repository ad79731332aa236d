#!/usr/bin/env python
"""Thin script for `seed convert --to d2`: tools/convert_to_d2.py STUDENT OUT.pkl|OUT.pth [--arch A] [--layout L]."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main(["convert", "--to", "d2", *sys.argv[1:]]))
