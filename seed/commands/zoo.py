"""`seed zoo list|show|download|render|plot|html`: browse and fetch the model zoo."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from seed.errors import SeedError
from seed.zoo.registry import merge_registries

NAME = "zoo"
HELP = ("the model zoo: list, show, download (hash-checked), render MODEL_ZOO.md, plot the paper's figures, "
        "write the web page")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", help="a registry file to read instead of the packaged seed/zoo/registry.yaml "
                                           "(to add a user registry to the packaged one: `seed zoo list|render|html "
                                           "--registry FILE`)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per entry")
    listing.add_argument("--student", help="student architecture contains this text")
    listing.add_argument("--teacher", help="teacher name contains this text")
    listing.add_argument("--kind", choices=("teacher", "student", "reference"))
    listing.add_argument("--sort", metavar="BENCHMARK", type=_benchmark,
                         help="best first on this benchmark (measured, else reported); e.g. imagenet-linear, cifar10")
    listing.add_argument("--columns", metavar="B1,B2", type=_benchmarks, default=("imagenet-linear",),
                         help="benchmarks to show, comma-separated (default imagenet-linear; `all` for every one)")
    _user_registries(listing)
    show = actions.add_parser("show", help="everything the registry knows of one entry")
    show.add_argument("name")
    download = actions.add_parser("download", help="fetch an entry's files into the cache (or --dir)")
    download.add_argument("name")
    download.add_argument("--dir", help="target folder (default: $SEED_ZOO_CACHE or ~/.cache/seed/zoo)")
    download.add_argument("--allow-unverified", action="store_true",
                          help="download even without a known sha256, and print the hash computed")
    download.add_argument("--mirror", help="base URL replacing every address (or $SEED_ZOO_MIRROR)")
    download.add_argument("--convert", metavar="TARGET",
                          help="also convert it for another library: d2 (Detectron2), mmdet (MMDetection), mmseg (MMSegmentation), "
                          "or any converter an installed package registers (needs that extra)")
    render = actions.add_parser("render", help="write MODEL_ZOO.md from the registry")
    render.add_argument("--output", default="MODEL_ZOO.md")
    render.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    _user_registries(render)
    plot = actions.add_parser("plot", help="the SEED paper's Figures 1, 3, 4 from the registry, as PNGs")
    plot.add_argument("output", nargs="?", help="PNG file (default model_zoo.png); with --all a folder (default docs/zoo)")
    plot.add_argument("--figure", default="figure1", choices=("figure1", "figure3", "figure4"),
                      help="1: top-1 against parameters; 3: semi-supervised; 4: transfer (against teacher size)")
    plot.add_argument("--all", action="store_true", help="every figure the registry can draw, as OUTPUT/<figure>.png")
    plot.add_argument("--width", type=float, help="inches (default 6.4; with --all MODEL_ZOO.md's 9)")
    plot.add_argument("--height", type=float, help="inches (default 4.8; with --all 5)")
    plot.add_argument("--dpi", type=int, help="default 100; with --all 90")
    html = actions.add_parser("html", help="the zoo as a static web page: OUT/index.html and its figures")
    _user_registries(html)
    html.add_argument("--out", default="docs/zoo", help="folder for index.html and the figure PNGs (default docs/zoo)")
    html.add_argument("--check", action="store_true", help="fail if OUT/index.html is not up to date (draws nothing)")


def _user_registries(parser: argparse.ArgumentParser) -> None:
    """`--registry FILE...` after the action: user registries merged with the packaged one (e.g. the file
    `seed bench --update-zoo` writes), as opposed to `seed zoo --registry FILE`, which replaces it."""
    parser.add_argument("--registry", dest="user_registries", metavar="FILE", nargs="+", action="extend", default=[],
                        help="user registries to add to the packaged one (a later entry replaces one of the same name)")


def _benchmark(key: str) -> str:
    from seed.zoo.benchmarks import get_benchmark

    try:
        return get_benchmark(key).key
    except KeyError as error:
        raise argparse.ArgumentTypeError(error.args[0]) from None


def _benchmarks(keys: str) -> tuple[str, ...]:
    from seed.zoo.benchmarks import BY_KEY

    return tuple(BY_KEY) if keys == "all" else tuple(_benchmark(k.strip()) for k in keys.split(",") if k.strip())


def run(args: argparse.Namespace) -> int:
    from seed.zoo.registry import load_registry

    registries = [load_registry(args.registry)] + [load_registry(path) for path in getattr(args, "user_registries", [])]
    return ACTIONS[args.action](registries, args)


def _list(registries, args) -> int:
    from seed.zoo.render import Footnotes, cell

    registry = merge_registries(registries)

    def best(entry) -> float:
        values = entry.values(args.sort, measured=True) or entry.values(args.sort, measured=False)
        return max((v.value for v in values), default=float("-inf"))

    entries = registry.select(args.student, args.teacher, args.kind)
    if args.sort:
        entries.sort(key=best, reverse=True)
    notes = Footnotes()
    print(f"{'name':58s} {'kind':9s} {'architecture':22s} " + " ".join(f"{c:>18s}" for c in args.columns) + "  file")
    for entry in entries:
        values = " ".join(f"{_plain(cell(entry, c, notes)):>18s}" for c in args.columns)
        status = "verified" if entry.verified else ("no file" if not entry.files else "unverified")
        print(f"{entry.name:58s} {entry.kind:9s} {entry.arch:22s} {values}  {status}")
    return 0


def _plain(text: str) -> str:
    """A table cell without its footnote marks: `67.6 / 67.1*`."""
    return re.sub(r"<sup>[^<]*</sup>", "", text).replace("\\*", "*")


def _show(registries, args) -> int:
    import yaml
    from dataclasses import asdict

    registry = merge_registries(registries)
    print(yaml.safe_dump(asdict(registry.get(args.name)), sort_keys=False, width=120), end="")
    return 0


def _download(registries, args) -> int:
    import seed.zoo
    from seed.models.converters import converter

    registry = merge_registries(registries)
    if args.convert:
        converter(args.convert)  # an unknown target fails before the download
    for item in seed.zoo.download(args.name, args.dir, args.allow_unverified, args.mirror, registry=registry):
        status = "matches the registry" if item.verified else "UNVERIFIED: add it to the registry once you trust the file"
        print(f"{item.path}\n  sha256 {item.sha256} ({status})")
    if args.convert:
        converted = seed.zoo.download_converted(args.name, args.convert, args.dir, args.allow_unverified,
                                                args.mirror, registry)
        print(f"converted for {args.convert}: {converted}")
    return 0


def _render(registries, args) -> int:
    from seed.zoo.render import render_markdown

    registry = merge_registries(registries)
    text, output = render_markdown(registry), Path(args.output)
    if args.check:
        if not output.is_file() or output.read_text() != text:
            raise SeedError(f"{output} is out of date: run `seed zoo render`")
        print(f"{output} is up to date")
        return 0
    output.write_text(text)
    print(f"wrote {output}")
    return 0


def _plot(registries, args) -> int:
    from seed.zoo.figures import drawable
    from seed.zoo.plot import plot_figure
    from seed.zoo.render import FIGURE_DIR, FIGURE_SIZE

    registry = merge_registries(registries)
    if args.all:
        names, size = drawable(registry), FIGURE_SIZE
        paths = [Path(args.output or FIGURE_DIR) / f"{name}.png" for name in names]
    else:
        names, paths, size = [args.figure], [Path(args.output or "model_zoo.png")], (6.4, 4.8, 100)
    width, height, dpi = (given if given is not None else default
                          for given, default in zip((args.width, args.height, args.dpi), size))
    for name, path in zip(names, paths):
        print(f"wrote {plot_figure(registry, name, path, width, height, dpi)}")
    return 0


def _html(registries, args) -> int:
    from seed.zoo.html import PAGE, render_page, write_site

    if args.check:
        page = Path(args.out) / PAGE
        if not page.is_file() or page.read_text(encoding="utf-8") != render_page(registries):
            raise SeedError(f"{page} is out of date: run `seed zoo html --out {args.out}`")
        print(f"{page} is up to date")
        return 0
    for path in write_site(registries, args.out):
        print(f"wrote {path}")
    return 0


ACTIONS = {"list": _list, "show": _show, "download": _download, "render": _render, "plot": _plot, "html": _html}
