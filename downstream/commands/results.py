"""`seed results FOLDER`: one table (Markdown, CSV) from a folder of result records."""
from __future__ import annotations

import argparse
from pathlib import Path

from seed.errors import MissingInputError

NAME = "results"
HELP = "gather result records into one table: a row per model, a column per protocol and data set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="folder of result records (searched recursively)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    parser.add_argument("--update-zoo", nargs="?", const="", metavar="REGISTRY",
                        help="write the measured metrics into the model-zoo registry (default: the packaged one) "
                        "for every record whose checkpoint is a zoo file; then run `seed zoo render`")


def run(args: argparse.Namespace) -> int:
    from downstream.records import read_records, results_table, to_csv, to_markdown

    records = read_records(args.folder)
    if not records:
        raise MissingInputError(f"no result records in {args.folder}")
    header, rows = results_table(records)
    table = to_markdown(header, rows)
    print(table, end="")
    if args.markdown:
        Path(args.markdown).write_text(table)
    if args.csv:
        Path(args.csv).write_text(to_csv(header, rows))
    if args.update_zoo is not None:
        update_zoo(records, args.update_zoo or None)
    return 0


def measured_metric(record):
    """A result record's headline number as a registry metric, with the record's sha256, date and command."""
    from seed.utils.hashing import file_digest
    from seed.zoo.benchmarks import benchmark_key
    from seed.zoo.registry import MEASURED_STATUS, Metric, Provenance

    provenance = Provenance(sha256=file_digest(record.source_path), date=record.created, command=record.command,
                            path=record.source_path)
    return Metric(benchmark=benchmark_key(record.protocol, record.dataset), value=record.metrics[record.primary_metric],
                  metric=record.primary_metric, status=MEASURED_STATUS, protocol=record.protocol, record=provenance)


def update_zoo(records, registry_path: str | None) -> None:
    """Fill the registry's measured metrics from result records, each with the record's sha256, date and command."""
    from seed.zoo.registry import load_registry, record_measurement, save_registry

    registry = load_registry(registry_path)
    updated = set()
    for record in records:
        filename = Path(record.checkpoint).name if record.checkpoint else None
        entry = record_measurement(registry, record.checkpoint_sha256, filename, measured_metric(record))
        if entry is not None:
            updated.add(entry.name)
    changed = save_registry(registry)
    print(f"updated {len(updated)} zoo entr{'y' if len(updated) == 1 else 'ies'} in {registry.path}: "
          f"{', '.join(sorted(updated)) or '-'}" + ("" if changed else " (no number changed)"))
