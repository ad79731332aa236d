"""The official SEED TSV image format: one image per line, `key<TAB>label<TAB>base64(JPEG/PNG)`,
with a `.lineidx` file beside it holding the byte offset of every line (built once, then reused)."""
from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path

from PIL import Image

from seed.data.folders import ImageFolderDataset
from seed.errors import InputError, MissingInputError
from seed.utils.progress import track


def lineidx_path(tsv: str | Path) -> Path:
    """`train.tsv` -> `train.lineidx`, as the official TSVFile expects."""
    return Path(tsv).with_suffix(".lineidx")


def build_lineidx(tsv: str | Path) -> list[int]:
    """Byte offset of every line of `tsv`; written atomically beside it when the folder is writable."""
    tsv = Path(tsv)
    offsets, position = [], 0
    with open(tsv, "rb") as handle:
        for line in track(handle, f"indexing {tsv.name}", unit="lines", every=100_000):
            if line.strip():
                offsets.append(position)
            position += len(line)
    target = lineidx_path(tsv)
    try:
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as out:
            out.write("".join(f"{o}\n" for o in offsets))
        os.replace(out.name, target)
    except OSError:
        pass  # read-only data folder: keep the index in memory only
    return offsets


def read_lineidx(tsv: str | Path) -> list[int]:
    """The cached offsets, rebuilt when missing or older than the TSV file."""
    tsv, index = Path(tsv), lineidx_path(tsv)
    if index.is_file() and index.stat().st_mtime >= tsv.stat().st_mtime:
        return [int(line) for line in index.read_text().split()]
    return build_lineidx(tsv)


class TSVReader:
    """Random access to the rows of a TSV file through its line offsets (one file handle per process)."""

    def __init__(self, tsv: str | Path) -> None:
        self.path = Path(tsv)
        if not self.path.is_file():
            raise MissingInputError(f"TSV file {str(self.path)!r} does not exist")
        self.offsets = read_lineidx(self.path)
        self._handle = None
        self._pid = None

    def __len__(self) -> int:
        return len(self.offsets)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_handle": None, "_pid": None}

    def row(self, index: int) -> list[str]:
        """The tab-separated fields of line `index`."""
        if self._handle is None or self._pid != os.getpid():  # reopen in each DataLoader worker
            self._handle, self._pid = open(self.path, "rb"), os.getpid()
        self._handle.seek(self.offsets[index])
        return self._handle.readline().decode("utf-8").rstrip("\r\n").split("\t")


def decode_image(field: str) -> Image.Image:
    """base64 text -> RGB PIL image (raises on truncated or corrupt data)."""
    image = Image.open(io.BytesIO(base64.b64decode(field, validate=True)))
    image.load()
    return image.convert("RGB")


def encode_row(key: str, label: int, image_bytes: bytes) -> str:
    """One TSV line (without the newline) for an encoded image file's bytes."""
    if "\t" in key or "\n" in key:
        raise InputError(f"TSV key {key!r} may not contain tabs or newlines")
    return f"{key}\t{label}\t{base64.b64encode(image_bytes).decode('ascii')}"


def imagefolder_to_tsv(source: str | Path, destination: str | Path) -> tuple[int, int]:
    """Write every image of an ImageFolder as a TSV row (key = relative path, label = class index),
    then its `.lineidx` and a `<name>.labelmap.tsv` of class names. Image bytes are kept as they are."""
    source, destination = Path(source), Path(destination)
    folder = ImageFolderDataset(source)
    if len(folder) == 0:
        raise InputError(f"image folder {str(source)!r} holds no images")
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(f".{destination.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for path, label in track(folder.samples, f"writing {destination.name}", unit="images"):
            key = Path(path).relative_to(source).as_posix()
            out.write(encode_row(key, label, Path(path).read_bytes()) + "\n")
    os.replace(tmp, destination)
    destination.with_suffix(".labelmap.tsv").write_text(
        "".join(f"{name}\t{index}\n" for index, name in enumerate(folder.classes)))
    build_lineidx(destination)
    return len(folder), len(folder.classes)
