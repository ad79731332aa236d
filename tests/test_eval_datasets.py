"""Evaluation data sets read from files written in each official format; bad input is named."""
from __future__ import annotations

import numpy as np
import pytest

from downstream.config import EvalDataConfig
from downstream.datasets import build_split, check_same_classes, subset_indices
from seed.data.tsv import imagefolder_to_tsv

from eval_fixtures import class_images, write_cifar10, write_cifar100, write_imagenet_folder, write_sun397


def test_cifar10_reads_the_official_pickle_batches(tmp_path):
    write_cifar10(tmp_path)
    cfg = EvalDataConfig(name="cifar10", root=str(tmp_path))
    train, test = build_split(cfg, "train"), build_split(cfg, "test")
    assert len(train) == 60 and len(test) == 30 and train.classes[9] == "truck"
    image, label = test.dataset[4]  # test images are class-major: index 4 is class 1, second image
    assert label == 1 and image.size == (32, 32)
    assert np.array_equal(np.asarray(image), class_images(3, 1, seed=1)[1])
    assert build_split(cfg, "val").labels == test.labels  # val reads the test batch


def test_cifar100_uses_fine_labels_and_accepts_the_batches_folder_as_root(tmp_path):
    write_cifar100(tmp_path)
    split = build_split(EvalDataConfig(name="cifar100", root=str(tmp_path / "cifar-100-python")), "train")
    assert len(split.classes) == 100 and max(split.labels) == 99 and len(split) == 200


def test_missing_cifar_batch_is_named(tmp_path):
    write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        build_split(EvalDataConfig(name="cifar10", root=str(tmp_path)), "train")


def test_sun397_reads_the_official_split_files(tmp_path):
    write_sun397(tmp_path)
    cfg = EvalDataConfig(name="sun397", root=str(tmp_path))
    train, test = build_split(cfg, "train"), build_split(cfg, "test")
    assert train.classes == ["/a/abbey", "/b/bakery/shop", "/c/canyon"]
    assert len(train) == 6 and len(test) == 6 and train.labels == [0, 0, 1, 1, 2, 2]
    image, label = train.dataset[2]
    assert label == 1 and image.size == (32, 32)


def test_sun397_missing_partition_file_names_the_expected_path(tmp_path):
    write_sun397(tmp_path)
    with pytest.raises(FileNotFoundError, match="Partitions/Training_02.txt"):
        build_split(EvalDataConfig(name="sun397", root=str(tmp_path), partition=2), "train")


def test_imagenet_reads_the_image_folder_or_the_official_tsv(tmp_path):
    write_imagenet_folder(tmp_path / "folder")
    imagefolder_to_tsv(tmp_path / "folder" / "train", tmp_path / "tsv" / "train.tsv")
    folder = build_split(EvalDataConfig(name="imagenet", root=str(tmp_path / "folder")), "train")
    tsv = build_split(EvalDataConfig(name="imagenet", root=str(tmp_path / "tsv")), "train")
    assert folder.labels == tsv.labels and folder.names == tsv.names and folder.classes == tsv.classes
    assert np.array_equal(np.asarray(folder.dataset[5][0]), np.asarray(tsv.dataset[5][0]))


def test_missing_imagenet_split_names_both_expected_forms(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"val.*val\.tsv"):
        build_split(EvalDataConfig(name="imagenet", root=str(tmp_path)), "val")


def test_empty_image_folder_is_refused(tmp_path):
    (tmp_path / "train" / "n0").mkdir(parents=True)
    with pytest.raises((FileNotFoundError, ValueError), match="train"):
        build_split(EvalDataConfig(name="imagefolder", root=str(tmp_path)), "train")


def test_class_count_mismatches_are_refused(tmp_path):
    write_imagenet_folder(tmp_path, classes=4)
    with pytest.raises(ValueError, match="4 classes, but data.num_classes is 1000"):
        build_split(EvalDataConfig(name="imagenet", root=str(tmp_path), num_classes=1000), "train")
    extra = tmp_path / "val" / "n99999999"
    extra.mkdir()
    (tmp_path / "val" / "n00000000" / "n00000000_0.JPEG").rename(extra / "x.JPEG")
    cfg = EvalDataConfig(name="imagenet", root=str(tmp_path))
    with pytest.raises(ValueError, match="class lists differ.*n99999999"):
        check_same_classes(build_split(cfg, "train"), build_split(cfg, "val"))


def test_one_percent_list_selects_the_named_training_images(tmp_path):
    write_imagenet_folder(tmp_path, classes=2)
    train = build_split(EvalDataConfig(name="imagenet", root=str(tmp_path)), "train")
    listing = tmp_path / "1percent.txt"
    listing.write_text("n00000001_3.JPEG\nn00000000_0.JPEG\n")
    rows = subset_indices(train, listing)
    assert [train.names[i] for i in rows] == ["n00000000/n00000000_0.JPEG", "n00000001/n00000001_3.JPEG"]
    listing.write_text("n00000001_3.JPEG\nn12345678_9.JPEG\n")
    with pytest.raises(ValueError, match="n12345678_9.JPEG"):
        subset_indices(train, listing)
    with pytest.raises(FileNotFoundError, match="10percent.txt"):
        subset_indices(train, tmp_path / "10percent.txt")
