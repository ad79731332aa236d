"""`seed results FOLDER`: one table (Markdown, CSV) from a folder of result records."""
from __future__ import annotations

import argparse
from pathlib import Path

NAME = "results"
HELP = "gather result records into one table: a row per model, a column per protocol and data set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="folder of result records (searched recursively)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--csv", metavar="FILE", help="also write the table as CSV")


def run(args: argparse.Namespace) -> int:
    from downstream.records import read_records, results_table, to_csv, to_markdown

    records = read_records(args.folder)
    if not records:
        raise SystemExit(f"no result records in {args.folder}")
    header, rows = results_table(records)
    table = to_markdown(header, rows)
    print(table, end="")
    if args.markdown:
        Path(args.markdown).write_text(table)
    if args.csv:
        Path(args.csv).write_text(to_csv(header, rows))
    return 0
