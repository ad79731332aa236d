"""`seed data to-tsv SRC DST`: write the official SEED TSV format (and its .lineidx) from an ImageFolder."""
from __future__ import annotations

import argparse

NAME = "data"
HELP = "data utilities: ImageFolder -> the official TSV format"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    to_tsv = actions.add_parser("to-tsv", help="ImageFolder -> TSV (key, label, base64 image) + .lineidx")
    to_tsv.add_argument("source", help="ImageFolder root (one sub-folder per class)")
    to_tsv.add_argument("destination", help="the .tsv file to write")


def run(args: argparse.Namespace) -> int:
    from seed.data.tsv import imagefolder_to_tsv

    count, classes = imagefolder_to_tsv(args.source, args.destination)
    print(f"wrote {count} images of {classes} classes to {args.destination}")
    return 0
