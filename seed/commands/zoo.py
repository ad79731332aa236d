"""`seed zoo list|show|download|render|plot`: browse and fetch the model zoo."""
from __future__ import annotations

import argparse
from pathlib import Path

NAME = "zoo"
HELP = "the model zoo: list, show, download (hash-checked), render MODEL_ZOO.md, plot Figure 1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", help="another registry file (default: the packaged seed/zoo/registry.yaml)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per entry")
    listing.add_argument("--student", help="student architecture contains this text")
    listing.add_argument("--teacher", help="teacher name contains this text")
    listing.add_argument("--kind", choices=("teacher", "student", "reference"))
    show = actions.add_parser("show", help="everything the registry knows of one entry")
    show.add_argument("name")
    download = actions.add_parser("download", help="fetch an entry's files into the cache (or --dir)")
    download.add_argument("name")
    download.add_argument("--dir", help="target folder (default: $SEED_ZOO_CACHE or ~/.cache/seed/zoo)")
    download.add_argument("--allow-unverified", action="store_true",
                          help="download even without a known sha256, and print the hash computed")
    download.add_argument("--mirror", help="base URL replacing every address (or $SEED_ZOO_MIRROR)")
    download.add_argument("--convert", choices=("d2", "mmdet", "mmseg"),
                          help="also convert it for Detectron2, MMDetection or MMSegmentation (needs that extra)")
    render = actions.add_parser("render", help="write MODEL_ZOO.md from the registry")
    render.add_argument("--output", default="MODEL_ZOO.md")
    render.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    plot = actions.add_parser("plot", help="Figure 1: top-1 against parameters, MoCo-v2 vs SEED, as a PNG")
    plot.add_argument("output", nargs="?", default="model_zoo.png")
    plot.add_argument("--width", type=float, default=6.4, help="inches")
    plot.add_argument("--height", type=float, default=4.8, help="inches")
    plot.add_argument("--dpi", type=int, default=100)


def run(args: argparse.Namespace) -> int:
    from seed.zoo.registry import load_registry

    registry = load_registry(args.registry)
    return ACTIONS[args.action](registry, args)


def _list(registry, args) -> int:
    for entry in registry.select(args.student, args.teacher, args.kind):
        metric = entry.metric("linear", "imagenet")
        top1 = f"{metric.value:5.1f}" if metric else "    -"
        status = "verified" if entry.verified else ("no file" if not entry.files else "unverified")
        print(f"{entry.name:58s} {entry.kind:9s} {entry.arch:22s} top-1 {top1}  {status}")
    return 0


def _show(registry, args) -> int:
    import yaml
    from dataclasses import asdict

    print(yaml.safe_dump(asdict(registry.get(args.name)), sort_keys=False, width=120), end="")
    return 0


def _download(registry, args) -> int:
    import seed.zoo

    for item in seed.zoo.download(args.name, args.dir, args.allow_unverified, args.mirror, registry=registry):
        status = "matches the registry" if item.verified else "UNVERIFIED: add it to the registry once you trust the file"
        print(f"{item.path}\n  sha256 {item.sha256} ({status})")
    if args.convert:
        from downstream.convert import zoo_weights

        converted = zoo_weights(args.name, args.convert, args.dir, args.allow_unverified, args.mirror, registry)
        print(f"converted for {args.convert}: {converted}")
    return 0


def _render(registry, args) -> int:
    from seed.zoo.render import render_markdown

    text, output = render_markdown(registry), Path(args.output)
    if args.check:
        if not output.is_file() or output.read_text() != text:
            raise SystemExit(f"{output} is out of date: run `seed zoo render`")
        print(f"{output} is up to date")
        return 0
    output.write_text(text)
    print(f"wrote {output}")
    return 0


def _plot(registry, args) -> int:
    from seed.zoo.plot import plot_figure1

    print(f"wrote {plot_figure1(registry, args.output, args.width, args.height, args.dpi)}")
    return 0


ACTIONS = {"list": _list, "show": _show, "download": _download, "render": _render, "plot": _plot}
