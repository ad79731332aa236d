"""`seed data ACTION`: `to-tsv` writes the official SEED TSV format (and its .lineidx) from an ImageFolder;
`digit-scenes` writes detection and segmentation scenes built from the bundled digit scans."""
from __future__ import annotations

import argparse

NAME = "data"
HELP = "data utilities: ImageFolder -> the official TSV format, digit scenes for detection/segmentation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    to_tsv = actions.add_parser("to-tsv", help="ImageFolder -> TSV (key, label, base64 image) + .lineidx")
    to_tsv.add_argument("source", help="ImageFolder root (one sub-folder per class)")
    to_tsv.add_argument("destination", help="the .tsv file to write")
    scenes = actions.add_parser(
        "digit-scenes", help="scenes of 1-4 real digit scans as VOC2007 XML, COCO JSON and VOC segmentation PNGs")
    scenes.add_argument("out", help="folder to write (new, empty, or an earlier digit-scenes export to replace)")
    scenes.add_argument("--train", type=_positive, default=300, help="training scenes (default 300)")
    scenes.add_argument("--val", type=_positive, default=100, help="validation scenes (default 100)")
    scenes.add_argument("--seed", type=int, default=0, help="scene seed (default 0)")


def run(args: argparse.Namespace) -> int:
    return ACTIONS[args.action](args)


def _to_tsv(args: argparse.Namespace) -> int:
    from seed.data.tsv import imagefolder_to_tsv

    count, classes = imagefolder_to_tsv(args.source, args.destination)
    print(f"wrote {count} images of {classes} classes to {args.destination}")
    return 0


def _digit_scenes(args: argparse.Namespace) -> int:
    from seed.data.scene_formats import write_digit_scenes

    digits = write_digit_scenes(args.out, {"train": args.train, "val": args.val}, seed=args.seed)
    print(f"wrote {args.train} training scenes ({digits['train']} digits) and {args.val} validation scenes "
          f"({digits['val']} digits) to {args.out}: VOC2007/ (JPEGImages, Annotations, SegmentationClass, "
          "ImageSets), annotations/instances_{train,val}.json (COCO), scenes.json")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of scenes")
    return value


ACTIONS = {"to-tsv": _to_tsv, "digit-scenes": _digit_scenes}
