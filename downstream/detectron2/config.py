"""Our keys in Detectron2's config, and the config of the Detectron2 model that matches a student."""
from __future__ import annotations

from detectron2.config import CfgNode, get_cfg

from downstream.detectron2.families import family_of
from downstream.student_arch import AUTO, resolve_arch
from seed.config import resolve_config_path
from seed.errors import UnknownNameError

ARCH_KEY = "MODEL.TIMM.ARCH"

# variant -> the recipe's base config (configs/detection/, installed as downstream.configs)
VARIANT_BASES = {"c4": "detection/Base-C4.yaml", "fpn": "detection/Base-FPN.yaml",
                 "vitdet": "detection/Base-ViTDet.yaml"}


def add_student_config(cfg: CfgNode) -> CfgNode:
    """Add the keys our backbones, ROI head and result records read, with their defaults."""
    cfg.MODEL.TIMM = CfgNode()
    cfg.MODEL.TIMM.ARCH = AUTO  # the student's network: auto (what MODEL.WEIGHTS records) or a timm name
    cfg.MODEL.TIMM.NORM = "BN"  # BN | SyncBN | FrozenBN, as MODEL.RESNETS.NORM
    cfg.MODEL.TIMM.OUT_FEATURES = ["res4"]  # subset of res2..res5
    cfg.MODEL.ROI_HEADS.EXTRA_NORM = False  # LastStageROIHeads: a norm after the last stage (MoCo)
    cfg.RESULTS = CfgNode()
    cfg.RESULTS.MODEL = ""  # model name in the result records; default: the MODEL.WEIGHTS file's stem
    cfg.RESULTS.PROTOCOL = "detection"  # e.g. detection-c4; mask results get "-mask" appended
    cfg.RESULTS.DATASET = ""  # e.g. voc07+12, coco; default: the test data set's name
    cfg.RESULTS.PRIMARY_METRIC = "AP"  # the table's number: AP50 for VOC, AP for COCO
    cfg.RESULTS.DIR = ""  # folder for the records; default: OUTPUT_DIR
    return cfg


def student_cfg() -> CfgNode:
    """Detectron2's default config plus our keys: what every config file here is merged into."""
    return add_student_config(get_cfg())


def student_arch(cfg: CfgNode) -> str:
    """MODEL.TIMM.ARCH, or for auto the architecture the MODEL.WEIGHTS file records."""
    return resolve_arch(cfg.MODEL.TIMM.ARCH, cfg.MODEL.WEIGHTS, ARCH_KEY)


def family_config(cfg: CfgNode, variant: str) -> CfgNode:
    """A copy of `cfg` naming the Detectron2 backbone of the student's family for `variant` (c4, fpn):
    Detectron2's ResNet of its depth for plain ResNets, our timm backbone for the rest."""
    arch = student_arch(cfg)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.merge_from_list(family_of(arch).settings(arch, variant))
    return cfg


def model_config(arch: str, variant: str) -> CfgNode:
    """The recipe's C4, FPN or ViTDet config (configs/detection/Base-*.yaml) with `arch`'s backbone, on CPU."""
    if variant not in VARIANT_BASES:
        raise UnknownNameError(f"unknown detection variant {variant!r}; known: {', '.join(VARIANT_BASES)}")
    cfg = student_cfg()
    cfg.merge_from_file(str(resolve_config_path(VARIANT_BASES[variant])))
    cfg.merge_from_list(family_of(arch).settings(arch, variant))
    cfg.MODEL.DEVICE = "cpu"
    return cfg
