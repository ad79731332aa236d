"""Image sources in each format, the TSV converter, and deterministic resumable batching."""
from __future__ import annotations

import base64
import io

import pytest
import torch
from PIL import Image

from seed.data.datasets import TSVDataset
from seed.data.folders import FileListDataset, ImageFolderDataset
from seed.data.loader import ResumableBatchSampler, SeededViews
from seed.data.transforms import MultiView
from seed.config import AugmentationConfig
from seed.data.tsv import imagefolder_to_tsv, lineidx_path

from conftest import run_cli


def test_image_folder_reads_classes_and_images(image_folder):
    data = ImageFolderDataset(image_folder)
    assert len(data) == 24 and data.classes == ["class_0", "class_1", "class_2"]
    image, label = data[10]
    assert image.mode == "RGB" and image.size == (24, 24) and label == 1


def test_empty_image_folder_is_an_error(tmp_path):
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="empty"):
        ImageFolderDataset(tmp_path / "empty")


def test_to_tsv_writes_the_official_format_and_reads_back(image_folder, tmp_path):
    result = run_cli("data", "to-tsv", str(image_folder), str(tmp_path / "train.tsv"))
    assert result.returncode == 0, result.stderr
    # no terminal (captured, as in a SLURM log): plain progress lines instead of a bar
    assert "writing train.tsv: 24/24 images, done" in result.stderr
    assert "indexing train.tsv: 24/24 lines, done" in result.stderr
    lines = (tmp_path / "train.tsv").read_text().splitlines()
    key, label, encoded = lines[0].split("\t")
    assert key == "class_0/000.png" and label == "0"
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).size == (24, 24)
    offsets = [int(x) for x in lineidx_path(tmp_path / "train.tsv").read_text().split()]
    with open(tmp_path / "train.tsv", "rb") as handle:  # every offset starts a line
        for number, offset in enumerate(offsets):
            handle.seek(offset)
            assert handle.readline().split(b"\t")[0].decode() == lines[number].split("\t")[0]
    tsv = TSVDataset(tmp_path / "train.tsv")
    folder = ImageFolderDataset(image_folder)
    assert len(tsv) == len(folder)
    for index in (0, 13, 23):
        assert tsv[index][0].tobytes() == folder[index][0].tobytes()
        assert tsv[index][1] == folder[index][1]


def test_tsv_line_index_is_built_once_and_reused(image_folder, tmp_path):
    imagefolder_to_tsv(image_folder, tmp_path / "t.tsv")
    index = lineidx_path(tmp_path / "t.tsv")
    index.write_text("0\n")  # a deliberately stale-but-newer index is trusted, not rebuilt
    assert len(TSVDataset(tmp_path / "t.tsv")) == 1
    index.unlink()
    assert len(TSVDataset(tmp_path / "t.tsv")) == 24 and index.is_file()


def test_file_list_resolves_paths_and_labels(image_folder):
    listing = image_folder / "list.txt"
    listing.write_text("class_1/000.png 1\nclass_2/001.jpg 2\n\n")
    data = FileListDataset(listing)
    assert len(data) == 2 and data[1][1] == 2 and data.describe(0).endswith("class_1/000.png")


def test_file_list_with_a_bad_line_names_it(image_folder):
    listing = image_folder / "list.txt"
    listing.write_text("a.png 1\nb.png one two\n")
    with pytest.raises(ValueError, match="list.txt:2"):
        FileListDataset(listing)


def test_sampler_splits_each_global_batch_contiguously_across_ranks():
    single = ResumableBatchSampler(20, 8, rank=0, world_size=1, seed=3)
    ranks = [ResumableBatchSampler(20, 8, rank=r, world_size=2, seed=3) for r in range(2)]
    for global_batch, part0, part1 in zip(single, *ranks):
        assert global_batch == part0 + part1
    assert single.steps_per_epoch == 2


def test_sampler_resumes_mid_epoch_and_reshuffles_each_epoch():
    sampler = ResumableBatchSampler(30, 5, 0, 1, seed=0)
    full = list(sampler)
    sampler.set_epoch(0, start_step=2)
    assert list(sampler) == full[2:]
    sampler.set_epoch(1)
    assert [i for _, i in sum(list(sampler), [])] != [i for _, i in sum(full, [])]


def test_sampler_refuses_a_batch_larger_than_the_data():
    with pytest.raises(ValueError, match="data.batch_size"):
        ResumableBatchSampler(4, 8, 0, 1, 0)


def test_views_depend_only_on_seed_epoch_and_index(image_folder):
    views = SeededViews(ImageFolderDataset(image_folder), MultiView(AugmentationConfig(size=16), {"global": 2}), 7)
    first, _ = views[(0, 5)]
    torch.rand(100)  # the global RNG state does not matter
    again, _ = views[(0, 5)]
    other_epoch, _ = views[(1, 5)]
    assert torch.equal(first["global"][0], again["global"][0])
    assert not torch.equal(first["global"][0], first["global"][1])
    assert not torch.equal(first["global"][0], other_epoch["global"][0])


def test_small_views_have_their_own_size(image_folder):
    views = SeededViews(ImageFolderDataset(image_folder),
                        MultiView(AugmentationConfig(size=32, small_size=12), {"global": 1, "small": 3}), 0)
    sample, _ = views[(0, 0)]
    assert sample["global"][0].shape == (3, 32, 32) and len(sample["small"]) == 3
    assert sample["small"][0].shape == (3, 12, 12)
