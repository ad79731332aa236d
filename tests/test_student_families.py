"""The family x consumer matrix of the README's "Student families": every cell marked there is a test here.

One student per family is distilled once (1 step at 64 px from a tiny ResNet-18 teacher; the two
DINOv2-teacher configs train their own families) and then goes through each consumer: `seed eval`
kNN, `seed convert` to each target, Detectron2 C4 and FPN, MMDetection C4 and FPN, MMSegmentation
FCN and UPerNet, each 2 iterations on the data the chain test writes. A combination that cannot
work is a test of its error, which names the family and the consumer. The paper's students
(ResNet, EfficientNet, MobileNetV3) run Detectron2, MMDetection and FCN in test_student_chain.py;
here they add `seed eval` and UPerNet.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import timm
import torch
from conftest import REPO, make_image_folder, write_teacher
from eval_fixtures import write_imagenet_folder
from test_mmdet_train import tiny_config as tiny_mmdet_config
from test_mmseg_train import tiny_config as tiny_mmseg_config
from test_mmseg_train import write_ade20k
from test_student_chain import FAMILY_CONFIGS, data, run_openmmlab, train_detectron2  # noqa: F401 - data is a fixture

from detectron2.layers import ShapeSpec
from detectron2.modeling import BACKBONE_REGISTRY
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS as MMSEG_MODELS

import downstream.mmdet  # noqa: F401 - registers our MMDetection modules
import downstream.mmseg  # noqa: F401 - registers our MMSeg modules
from downstream.detectron2.config import student_cfg
from downstream.timm_net import spatial_trunk
from seed.cli import main as seed_main
from seed.config import load_config
from seed.engine.trainer import distill
from seed.errors import InputError
from seed.models import load_encoder
from seed.models.converters import convert

pytestmark = pytest.mark.slow

DENSE = {  # family -> the student the matrix runs through every consumer
    "ConvNeXt": "convnext_atto", "MobileNetV4": "mobilenetv4_conv_small", "EfficientViT": "efficientvit_b0",
    "FastViT": "fastvit_t8", "RepViT": "repvit_m0_9", "RegNetY": "regnety_002", "MobileOne": "mobileone_s0",
}
# family -> its timm class, for families with no output_stride option (so no dilated FCN-D16)
UNDILATED = {"EfficientViT": "EfficientVit", "FastViT": "FastVit", "RepViT": "RepVit"}
FCN = "configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py"
NOT_DENSE = {"EfficientFormerV2": "efficientformerv2_s0"}  # distil and eval only: fixed image size
PAPER = {"ResNet": "resnet18", "EfficientNet": "efficientnet_b0", "MobileNetV3": "mobilenetv3_large_100"}
FOLDED = {"fastvit_t8", "repvit_m0_9", "mobileone_s0"}  # families that reparameterise at inference
STUDENT_OPTIONS = {"efficientformerv2_s0": ["student.kwargs={img_size: 64}"]}  # built for the crop size it trains at
TARGETS = {"d2": ".d2.pkl", "mmdet": ".mmdet.pth", "mmseg": ".mmseg.pth"}
SIZE = 64


def distill_config(arch: str) -> Path:
    """The shipped DINOv2-teacher config that trains `arch`, or SEED's base config."""
    shipped = REPO / f"configs/distill/seed/dinov2-vitb14_{arch}.yaml"
    return shipped if shipped.is_file() else REPO / "configs/distill/seed_base.yaml"


@pytest.fixture(scope="module")
def students(tmp_path_factory) -> dict[str, Path]:
    """Every family's student distilled 1 step (8 images of 64 px, batch 8) from a tiny ResNet-18 teacher."""
    root = tmp_path_factory.mktemp("families")
    images = make_image_folder(root / "images", classes=2, per_class=4, size=SIZE)
    teacher = write_teacher(root / "teacher.pth", arch="resnet18")
    files = {}
    for index, arch in enumerate([*DENSE.values(), *NOT_DENSE.values(), *PAPER.values()]):  # no arch in any path
        cfg = load_config(distill_config(arch), [
            f"data.path={images}", "data.batch_size=8", "data.workers=0", f"data.augmentation.size={SIZE}",
            f"teacher.checkpoint={teacher}", "teacher.arch=resnet18", "teacher.layout=auto", f"student.arch={arch}",
            "objective.params.queue_size=16", "train.epochs=1", "train.device=cpu", "train.progress=false",
            f"train.output_dir={root / f'student{index}'}", *STUDENT_OPTIONS.get(arch, [])])
        files[arch] = Path(distill(cfg).student_path)
    return files


@pytest.fixture(scope="module")
def converted(students) -> dict[str, dict[str, Path]]:
    """Each dense family's student converted for every target, with the converters' reports."""
    files = {}
    for arch in DENSE.values():
        files[arch] = {"report": {}}
        for target, suffix in TARGETS.items():
            files[arch][target] = students[arch].with_name(f"student{suffix}")
            files[arch]["report"][target] = convert(target, students[arch], files[arch][target])
    return files


@pytest.fixture(scope="module")
def ade(tmp_path_factory) -> Path:
    return write_ade20k(tmp_path_factory.mktemp("families-ade"))


def test_the_dinov2_configs_train_their_families():
    for name in FAMILY_CONFIGS:
        arch = name.removeprefix("dinov2-vitb14_").removesuffix(".yaml")
        cfg = load_config(distill_config(arch))
        assert (cfg.student.arch, cfg.teacher.arch, cfg.teacher.layout) == (arch, "vit_base_patch14_dinov2", "dinov2")
        assert cfg.objective.name == "seed"


@pytest.mark.parametrize("arch", [*DENSE.values(), *NOT_DENSE.values(), *PAPER.values()])
def test_every_family_distils_to_a_student_file_that_records_it(students, arch):
    encoder, layout = load_encoder(students[arch])
    assert (encoder.arch, layout.name) == (arch, "seed")
    assert encoder(torch.zeros(2, 3, SIZE, SIZE)).shape == (2, 16)  # the tiny teacher's 16-d embedding


@pytest.mark.parametrize("arch", [*DENSE.values(), *NOT_DENSE.values(), *PAPER.values()])
def test_distilled_student_is_evaluated_by_seed_eval_knn(students, tmp_path, arch):
    write_imagenet_folder(tmp_path / "imagenet", classes=2, train_per_class=4, val_per_class=2)
    code = seed_main(["eval", "knn", "--model", str(students[arch]), "--data", str(tmp_path / "imagenet"),
                      "--dataset", "imagenet", "--output", str(tmp_path / "results"), "--name", "s",
                      f"features.cache_dir={tmp_path / 'cache'}", f"features.image_size={SIZE}",
                      f"features.resize={SIZE}", "features.workers=0", "features.batch_size=8", "knn.ks=[3]"])
    assert code == 0
    record = json.loads((tmp_path / "results" / "s__knn__imagenet__val.json").read_text())
    assert 0.0 <= record["metrics"]["top1"] <= 100.0
    assert record["config"]["reparameterized"] is (arch in FOLDED)


@pytest.mark.parametrize("arch", DENSE.values())
def test_every_converter_takes_the_student_and_says_whether_it_folds(converted, arch):
    for target in TARGETS:
        assert converted[arch][target].is_file()
        report = converted[arch]["report"][target]
        assert "checked" in report
        assert ("reparameterisation: not applied" in report) is (arch in FOLDED)


@pytest.mark.parametrize("arch", DENSE.values())
@pytest.mark.parametrize("recipe, dataset", [("voc/faster_rcnn_c4_24k.yaml", "chain_voc"),
                                             ("coco/mask_rcnn_fpn_1x.yaml", "chain_coco")])
def test_detectron2_c4_and_fpn_train_each_family(converted, data, tmp_path, arch, recipe, dataset):
    train_detectron2(recipe, dataset, converted[arch]["d2"], tmp_path)


@pytest.mark.parametrize("arch", DENSE.values())
@pytest.mark.parametrize("config", ["mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py",
                                    "mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py"])
def test_mmdetection_c4_and_fpn_train_each_family(converted, data, tmp_path, arch, config):
    tiny = tiny_mmdet_config(REPO / "configs/mmdet" / config, tmp_path)
    runner = run_openmmlab("mmdet", tiny, converted[arch]["mmdet"], data["coco"], tmp_path / "work")
    assert runner.iter == 2 and runner.model.backbone.model_name == arch


@pytest.mark.parametrize("arch", [arch for family, arch in DENSE.items() if family not in UNDILATED])
def test_mmsegmentation_fcn_trains_each_family(converted, data, tmp_path, arch):
    tiny = tiny_mmseg_config(REPO / FCN, tmp_path)
    runner = run_openmmlab("mmseg", tiny, converted[arch]["mmseg"], data["seg"], tmp_path / "work")
    assert runner.iter == 2 and runner.model.backbone.model_name == arch


@pytest.mark.parametrize("family", UNDILATED)
def test_mmsegmentation_fcn_refuses_a_family_without_dilation_by_name(converted, data, tmp_path, family):
    tiny = tiny_mmseg_config(REPO / FCN, tmp_path)
    with pytest.raises(InputError, match=rf"{UNDILATED[family]} \({DENSE[family]}\) has no dilated variant in timm "
                                         r"\(output_stride=16 .*MMSegmentation's dilated recipes \(FCN-D16"):
        run_openmmlab("mmseg", tiny, converted[DENSE[family]]["mmseg"], data["seg"], tmp_path / "work")


@pytest.mark.parametrize("arch", [*DENSE.values(), *PAPER.values()])
def test_mmsegmentation_upernet_trains_each_family(students, ade, tmp_path, arch):
    weights = students[arch].with_name("student.mmseg.pth")
    if not weights.is_file():
        convert("mmseg", students[arch], weights)
    tiny = tiny_mmseg_config(REPO / "configs/segmentation/upernet/upernet_student_4xb4-80k_ade20k-512x512.py", tmp_path)
    runner = run_openmmlab("mmseg", tiny, weights, ade, tmp_path / "work")
    assert runner.iter == 2 and runner.model.backbone.model_name == arch


@pytest.mark.parametrize("target", TARGETS)
def test_a_fixed_size_family_is_refused_by_every_dense_consumer_by_name(students, tmp_path, target):
    """EfficientFormerV2's attention is sized for one image size: each converter, and each library's backbone
    built from the student file, refuses it naming the family and the consumers."""
    arch = NOT_DENSE["EfficientFormerV2"]
    with pytest.raises(InputError, match=rf"EfficientFormerV2 \({arch}\) cannot be a backbone for Detectron2, "
                                         r"MMDetection, MMSegmentation and `seed convert`: its attention biases"):
        convert(target, students[arch], tmp_path / f"student{TARGETS[target]}")
    assert not (tmp_path / f"student{TARGETS[target]}").exists()


@pytest.mark.parametrize("consumer", ["detectron2 C4", "detectron2 FPN", "mmdet C4", "mmdet FPN", "mmseg"])
def test_a_fixed_size_family_is_refused_by_each_library_backbone(students, consumer):
    arch = NOT_DENSE["EfficientFormerV2"]
    from_file = dict(type="Pretrained", checkpoint=str(students[arch]))
    build = {
        "detectron2 C4": lambda: build_detectron2_backbone("build_timm_backbone", arch),
        "detectron2 FPN": lambda: build_detectron2_backbone("build_timm_fpn_backbone", arch),
        "mmdet C4": lambda: MMDET_MODELS.build(dict(type="SeedLastStage", init_cfg=from_file)),
        "mmdet FPN": lambda: MMDET_MODELS.build(dict(type="SeedTIMMBackbone", out_strides=(4, 8, 16, 32),
                                                     init_cfg=from_file)),
        "mmseg": lambda: MMSEG_MODELS.build(dict(type="SeedTIMMBackbone", init_cfg=from_file)),
    }[consumer]
    with DefaultScope.overwrite_default_scope(consumer.split()[0]), pytest.raises(
            InputError, match=rf"EfficientFormerV2 \({arch}\) cannot be a backbone"):
        build()


def test_a_trunk_of_channels_last_maps_is_refused_by_name():
    with pytest.raises(InputError, match=r"MambaOut \(mambaout_femto\) returns channels-last maps .* C4 last stage and `seed convert`"):
        spatial_trunk(timm.create_model("mambaout_femto", pretrained=False, num_classes=0), "mambaout_femto", "seed convert")


def build_detectron2_backbone(builder: str, arch: str) -> object:
    """Detectron2's registered builder `builder` on the student config naming `arch`."""
    cfg = student_cfg()
    cfg.MODEL.TIMM.ARCH = arch
    return BACKBONE_REGISTRY.get(builder)(cfg, ShapeSpec(channels=3))
