"""Tiny labelled data sets written in each official on-disk format, for the evaluation tests."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image


def class_images(count: int, label: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """count x size x size x 3 uint8 pictures: noise plus a bright bar whose row depends on the class."""
    rng = np.random.default_rng(seed * 1000 + label)
    images = rng.integers(0, 60, size=(count, size, size, 3), dtype=np.uint8)
    row = 2 + (label * 5) % (size - 6)
    images[:, row:row + 4, 4:size - 4, label % 3] = 255
    return images


def write_cifar10(root: Path, per_class_train: int = 6, per_class_test: int = 3) -> Path:
    """cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta} as the official pickles."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    train = [(class_images(per_class_train, c), c) for c in range(10)]
    images = np.concatenate([i for i, _ in train])
    labels = [c for i, c in train for _ in range(len(i))]
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], [labels[i] for i in order]
    chunks = np.array_split(np.arange(len(labels)), 5)
    for number, chunk in enumerate(chunks, 1):
        batch = {b"batch_label": f"training batch {number} of 5".encode(),
                 b"labels": [labels[i] for i in chunk],
                 b"data": images[chunk].transpose(0, 3, 1, 2).reshape(len(chunk), -1),
                 b"filenames": [f"img_{i}.png".encode() for i in chunk]}
        (folder / f"data_batch_{number}").write_bytes(pickle.dumps(batch))
    test = np.concatenate([class_images(per_class_test, c, seed=1) for c in range(10)])
    test_labels = [c for c in range(10) for _ in range(per_class_test)]
    (folder / "test_batch").write_bytes(pickle.dumps({b"labels": test_labels,
                                                      b"data": test.transpose(0, 3, 1, 2).reshape(len(test), -1)}))
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names, b"num_cases_per_batch": 10}))
    return root


def write_cifar100(root: Path, classes: int = 100) -> Path:
    """cifar-100-python/{train,test,meta} with fine and coarse labels."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for split, count in (("train", 2), ("test", 1)):
        images = np.concatenate([class_images(count, c, seed=len(split)) for c in range(classes)])
        fine = [c for c in range(classes) for _ in range(count)]
        (folder / split).write_bytes(pickle.dumps({b"fine_labels": fine, b"coarse_labels": [c // 5 for c in fine],
                                                   b"data": images.transpose(0, 3, 1, 2).reshape(len(images), -1)}))
    (folder / "meta").write_bytes(pickle.dumps({b"fine_label_names": [f"c{i}".encode() for i in range(classes)],
                                                b"coarse_label_names": [f"s{i}".encode() for i in range(20)]}))
    return root


def write_sun397(root: Path, categories=("/a/abbey", "/b/bakery/shop", "/c/canyon"), per_class: int = 4) -> Path:
    """SUN397/<letter>/<category>/sun_*.jpg + ClassName.txt + Partitions/{Training,Testing}_01.txt."""
    (root / "Partitions").mkdir(parents=True)
    train, test = [], []
    for label, category in enumerate(categories):
        folder = root / category.lstrip("/")
        folder.mkdir(parents=True)
        for index, pixels in enumerate(class_images(per_class, label)):
            name = f"{category}/sun_{label}{index:03d}.jpg"
            Image.fromarray(pixels).save(root / name.lstrip("/"))
            (train if index < per_class // 2 else test).append(name)
    (root / "ClassName.txt").write_text("".join(f"{c}\n" for c in categories))
    (root / "Partitions" / "Training_01.txt").write_text("".join(f"{n}\n" for n in train))
    (root / "Partitions" / "Testing_01.txt").write_text("".join(f"{n}\n" for n in test))
    return root


def write_imagenet_folder(root: Path, classes: int = 4, train_per_class: int = 8, val_per_class: int = 3) -> Path:
    """root/{train,val}/<wnid>/<wnid>_<n>.JPEG, ImageNet's ImageFolder layout."""
    for split, count, seed in (("train", train_per_class, 0), ("val", val_per_class, 1)):
        for label in range(classes):
            wnid = f"n{label:08d}"
            folder = root / split / wnid
            folder.mkdir(parents=True)
            for index, pixels in enumerate(class_images(count, label, seed=seed)):
                Image.fromarray(pixels).save(folder / f"{wnid}_{index}.JPEG", format="JPEG", quality=95)
    return root
