"""`seed eval PROTOCOL --model M --data ROOT [--config FILE] [KEY=VALUE ...]`."""
from __future__ import annotations

import argparse

NAME = "eval"
HELP = "evaluate a student: knn, linear (official), linear-fast, semisup, transfer"
PROTOCOL_HELP = {
    "knn": "weighted (k=20, 200; T=0.07) and majority kNN on cached frozen features",
    "linear": "the official linear evaluation: 100 epochs of SGD on augmented images, frozen backbone",
    "linear-fast": "fast linear probe on cached features, weight decay swept on held-out training data",
    "semisup": "the fast probe trained on a subset list (1 or 10 percent of the labels), evaluated on the full "
               "validation set",
    "transfer": "the fast probe on CIFAR-10/100 or SUN-397 (probe.method=sgd: DisCo's setting)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model", required=True, help="a checkpoint (any supported layout) or timm:NAME")
    common.add_argument("--data", help="data set root (data.root)")
    common.add_argument("--dataset", help="the data set's format (imagenet, imagefolder, filelist, cifar10, cifar100, "
                                          "sun397) or, for an ImageFolder/TSV, the name records give it (data.name; "
                                          "default: the data folder's name)")
    common.add_argument("--subset", help="semisup: a SimCLR-style list of training files (data.subset)")
    common.add_argument("--config", help="YAML evaluation config (e.g. configs/eval/imagenet_knn.yaml)")
    common.add_argument("--name", help="row name in the results table (default: from the checkpoint path)")
    common.add_argument("--output", help="folder for result records (output_dir, default: results)")
    common.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. knn.ks=[10,20]")
    protocols = parser.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL")
    for name, help_text in PROTOCOL_HELP.items():
        protocols.add_parser(name, parents=[common], help=help_text, description=help_text)


def run(args: argparse.Namespace) -> int:
    from downstream.config import load_eval_config
    from downstream.protocols import evaluate
    from downstream.transforms import summary

    flags = {"model": args.model, "data.root": args.data, "data.name": args.dataset, "data.subset": args.subset,
             "name": args.name, "output_dir": args.output}
    overrides = [f"{key}={value}" for key, value in flags.items() if value is not None] + args.overrides
    cfg = load_eval_config(args.config, overrides)
    for record in evaluate(args.protocol, cfg):
        shown = ", ".join(f"{k} {v:.2f}" for k, v in record.metrics.items() if k in ("top1", "top5"))
        print(f"{record.model} | {record.protocol} | {record.dataset} {record.split} | {shown}")
        print(f"  images: {summary(record.config['transform'])}")
    print(f"records written to {cfg.output_dir}")
    return 0
