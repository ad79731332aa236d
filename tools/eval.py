#!/usr/bin/env python
"""Thin script for `seed eval` (works under torchrun): tools/eval.py PROTOCOL --model M --data ROOT [...]."""
import sys

from seed.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
