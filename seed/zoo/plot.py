"""The SEED paper's Figure 1, from the registry: ImageNet linear top-1 against parameters, MoCo-v2 vs SEED."""
from __future__ import annotations

from pathlib import Path

from seed.errors import InputError
from seed.models.pretrained import build_backbone
from seed.zoo.registry import ZooRegistry


BASELINE_EPOCHS = 200  # the paper's MoCo-v2 baselines are 200-epoch runs


def best_results(registry: ZooRegistry, objective: str, epochs: int | None = None) -> dict[str, float]:
    """Best ImageNet linear top-1 per architecture for one objective (and training length, if given)."""
    best: dict[str, float] = {}
    for entry in registry.entries:
        metric = entry.metric("linear", "imagenet", "top1")
        if entry.objective == objective and metric is not None and epochs in (None, entry.epochs):
            best[entry.arch] = max(best.get(entry.arch, float("-inf")), metric.value)
    return best


def parameters_millions(arch: str) -> float:
    """Backbone parameters (millions) of a registered or timm architecture."""
    return sum(p.numel() for p in build_backbone(arch).parameters()) / 1e6


def plot_figure1(registry: ZooRegistry, path: str | Path, width: float = 6.4, height: float = 4.8,
                 dpi: int = 100) -> Path:
    """Write the chart to `path` (PNG, width x height inches at `dpi`); architectures with both results only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    moco, seed = best_results(registry, "mocov2", BASELINE_EPOCHS), best_results(registry, "seed")
    archs = sorted(set(moco) & set(seed), key=parameters_millions)
    if not archs:
        raise InputError(f"{registry.path}: no architecture has both a MoCo-v2 and a SEED ImageNet linear result")
    sizes = {arch: parameters_millions(arch) for arch in archs}
    figure, axes = plt.subplots(figsize=(width, height), dpi=dpi)
    axes.plot([sizes[a] for a in archs], [moco[a] for a in archs], "o--", color="tab:gray",
              label=f"MoCo-v2 ({BASELINE_EPOCHS} epochs)")
    axes.plot([sizes[a] for a in archs], [seed[a] for a in archs], "o-", color="tab:red", label="SEED (best reported)")
    for index, arch in enumerate(archs):
        axes.vlines(sizes[arch], moco[arch], seed[arch], colors="tab:red", alpha=0.25)
        axes.annotate(f"{arch} (+{seed[arch] - moco[arch]:.1f})", (sizes[arch], moco[arch]), textcoords="offset points",
                      xytext=(5, -12 if index % 2 else 4), fontsize=7)
    axes.set_xlabel("backbone parameters (millions)")
    axes.set_ylabel("ImageNet linear top-1 (%)")
    axes.set_title("SEED vs MoCo-v2 (model zoo registry)")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, format="png")
    plt.close(figure)
    return path
