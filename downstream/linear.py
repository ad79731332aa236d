"""The official linear evaluation (MoCo's and SEED's main_lincls.py), the reference for the fast probe.

A linear classifier on the frozen backbone's pooled features, trained with SGD for 100 epochs
on augmented images (random-resized crop + flip), steps at epochs 60 and 80 (cosine as an
option), lr 30 for ResNets and 3 for the others (per 256 images), no weight decay. The backbone
stays in eval mode throughout, so BatchNorm statistics never change. Runs under torchrun with
DDP; a per-epoch checkpoint lets an interrupted evaluation resume.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import transforms as T

from downstream.config import FeatureConfig, LinearConfig
from downstream.datasets import LabelledSplit
from downstream.knn import topk_accuracy
from downstream.models import FrozenModel
from downstream.transforms import EvalTransform, resolve_transform
from seed.data.datasets import Transformed
from seed.engine.checkpoint import atomic_save
from seed.engine.schedule import lr_schedule
from seed.errors import InputError
from seed.utils.distributed import is_distributed
from seed.utils.progress import progress_bar

log = logging.getLogger(__name__)


def official_lr(arch: str) -> float:
    """lr 30 for ResNets (MoCo's lincls), 3 for the other students (SEED/DisCo)."""
    return 30.0 if arch.startswith(("resnet", "wide_resnet")) else 3.0


def epoch_lr(base: float, epoch: int, cfg: LinearConfig) -> float:
    """The learning rate of `epoch`: the distiller's schedule (cosine, or x0.1 at each milestone) in epochs."""
    return float(lr_schedule(base, cfg.epochs, 1, cfg.schedule, milestones=cfg.milestones,
                             option="linear.schedule")[epoch])


@torch.no_grad()
def classifier_accuracy(backbone: nn.Module, classifier: nn.Module, loader: DataLoader,
                        device: torch.device) -> dict[str, float]:
    """Top-1/top-5 (%) over the loader, summed across processes."""
    correct = torch.zeros(2, device=device)
    count = torch.zeros(1, device=device)
    for images, labels in loader:
        scores = classifier(backbone(images.to(device)))
        accuracy = topk_accuracy(scores, labels.to(device), (1, 5))
        correct += torch.tensor([accuracy["top1"], accuracy["top5"]], device=device) * len(labels) / 100
        count += len(labels)
    if is_distributed():
        dist.all_reduce(correct)
        dist.all_reduce(count)
    return {"top1": float(100 * correct[0] / count), "top5": float(100 * correct[1] / count)}


def report_epoch(bar, epoch: int, epochs: int, lr: float, totals: torch.Tensor) -> None:
    """Show an epoch's training loss, lr and top-1 (on the augmented crops, over all processes):
    in the progress bar, or as a log line when no bar is drawn (a log file). One sync per epoch."""
    if is_distributed():
        dist.all_reduce(totals)
    loss_sum, correct, count = totals.tolist()
    stats = {"loss": loss_sum / count, "lr": lr, "top1": 100 * correct / count}
    if not bar.disable:
        bar.set_postfix(loss=f"{stats['loss']:.4f}", lr=f"{lr:.4g}", train_top1=f"{stats['top1']:.1f}")
    elif not is_distributed() or dist.get_rank() == 0:
        log.info("linear epoch %d/%d: loss %.4f, lr %.4g, train top-1 %.2f%%", epoch + 1, epochs, stats["loss"],
                 lr, stats["top1"])


def train_linear(model: FrozenModel, train: LabelledSplit, val: LabelledSplit, cfg: LinearConfig,
                 features: FeatureConfig, device: torch.device, state_file: Path | None = None,
                 seed: int = 0, transform: EvalTransform | None = None) -> dict[str, float]:
    """Train the classifier for `cfg.epochs` and return validation top-1/top-5 (and the lr used); crops
    and validation images take `transform`'s size and normalisation (default: resolved from `features`)."""
    transform = transform or resolve_transform(features, model)
    torch.manual_seed(seed)
    world, rank = (dist.get_world_size(), dist.get_rank()) if is_distributed() else (1, 0)
    if cfg.batch_size % world:
        raise InputError(f"linear.batch_size={cfg.batch_size} is not divisible by the {world} processes")
    backbone = model.backbone.eval().to(device)
    classifier = nn.Linear(model.feature_dim, len(train.classes)).to(device)
    nn.init.normal_(classifier.weight, std=0.01)
    nn.init.zeros_(classifier.bias)
    base_lr = (cfg.lr if cfg.lr is not None else official_lr(model.arch)) * cfg.batch_size / 256
    optimizer = torch.optim.SGD(classifier.parameters(), lr=base_lr, momentum=cfg.momentum,
                                weight_decay=cfg.weight_decay)
    start = 0
    identity = {"model": model.identity, "data": train.description, "config": asdict(cfg), "world": world,
                "transform": transform.key()}
    if state_file is not None and state_file.is_file():
        state = torch.load(state_file, map_location="cpu", weights_only=True)
        if state.get("identity") != json.loads(json.dumps(identity)):
            raise InputError(f"{state_file} holds a linear evaluation of other inputs or settings; "
                             "delete it to start over")
        classifier.load_state_dict(state["classifier"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["epoch"])
        log.info("resuming the linear evaluation from %s at epoch %d", state_file, start)
    trainable = DistributedDataParallel(classifier) if world > 1 else classifier

    augment = T.Compose([T.RandomResizedCrop(transform.image_size, scale=cfg.crop_scale), T.RandomHorizontalFlip(),
                         T.ToTensor(), T.Normalize(transform.mean, transform.std)])
    train_set = Transformed(train.dataset, augment)
    sampler = DistributedSampler(train_set, seed=seed) if world > 1 else None
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size // world, shuffle=sampler is None,
                              sampler=sampler, num_workers=cfg.workers, generator=generator,
                              pin_memory=device.type == "cuda", drop_last=False)
    val_set = Transformed(val.dataset, transform.build())
    val_sampler = DistributedSampler(val_set, shuffle=False) if world > 1 else None
    val_loader = DataLoader(val_set, batch_size=cfg.batch_size // world, sampler=val_sampler,
                            num_workers=cfg.workers)

    bar = progress_bar(range(start, cfg.epochs), enabled=rank == 0 and features.progress, desc="linear",
                       initial=start, total=cfg.epochs, unit="epoch")
    for epoch in bar:
        if sampler is not None:
            sampler.set_epoch(epoch)
        lr = epoch_lr(base_lr, epoch, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        backbone.eval()  # frozen: BN keeps its running statistics
        totals = torch.zeros(3, device=device)  # loss x images, correct, images: summed on the device
        for images, labels in train_loader:
            labels = labels.to(device)
            with torch.no_grad():
                feats = backbone(images.to(device, non_blocking=True))
            logits = trainable(feats)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals += torch.stack([loss.detach() * len(labels), (logits.detach().argmax(1) == labels).sum(),
                                   totals.new_tensor(len(labels))])
        report_epoch(bar, epoch, cfg.epochs, lr, totals)
        if state_file is not None and rank == 0:
            atomic_save({"classifier": classifier.state_dict(), "optimizer": optimizer.state_dict(),
                         "epoch": epoch + 1, "identity": json.loads(json.dumps(identity))}, state_file)
    return {**classifier_accuracy(backbone, classifier, val_loader, device), "lr": base_lr}
