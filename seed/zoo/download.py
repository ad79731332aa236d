"""Downloads you can trust: resumable, hash-checked, locked, never half a file in the cache.

- Files land in a cache folder like torch.hub's (`$SEED_ZOO_CACHE`, default ~/.cache/seed/zoo).
- Bytes go to `<name>.part`; an interrupted download leaves it, and the next attempt resumes it
  with an HTTP Range request (a server that ignores Range is read again from the start).
- The sha256 (and the publisher's md5 prefix, when known) is checked before the file is moved
  into place; a mismatch deletes the bytes and raises. A file without a known sha256 is refused
  unless the caller allows unverified files, and its computed hash is reported.
- A lock file makes a second process wait for the first instead of writing the same file.
- `$SEED_ZOO_MIRROR` (or `mirror=`) replaces every address by <mirror>/<file name>.

pooch and torch.hub's download_url_to_file verify hashes but neither resumes a partial
download nor locks against a concurrent one, so this module does those two things itself and
uses filelock and tqdm for the rest.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from filelock import FileLock
from tqdm import tqdm

from seed.errors import SeedError
from seed.utils.hashing import file_digest
from seed.zoo.registry import ZooFile

log = logging.getLogger(__name__)
CHUNK = 1 << 16


class DownloadError(SeedError, RuntimeError):
    """A file could not be fetched; a partial download is kept as `.part` and resumed next time."""


class HashMismatchError(DownloadError):
    """The downloaded bytes are not the published file; they were deleted."""


class UnverifiedError(DownloadError):
    """The registry knows no sha256 for this file and unverified downloads were not allowed."""


@dataclass
class Downloaded:
    """Where the file is, its sha256, and whether that hash was checked against the registry."""

    path: Path
    sha256: str
    verified: bool


def cache_dir() -> Path:
    """$SEED_ZOO_CACHE, or ~/.cache/seed/zoo."""
    return Path(os.environ.get("SEED_ZOO_CACHE") or Path.home() / ".cache" / "seed" / "zoo")


def candidate_urls(file: ZooFile, mirror: str | None = None) -> list[str]:
    """The mirror override alone when set, else the published address and then its mirrors."""
    mirror = mirror or os.environ.get("SEED_ZOO_MIRROR")
    if mirror:
        return [f"{mirror.rstrip('/')}/{file.name}"]
    return [file.url, *file.mirrors]


def _fetch_into(url: str, part: Path, progress: bool, timeout: float) -> None:
    """Append the rest of `url` to `part` (Range from its current size), or rewrite it from byte 0."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "seed-distill"} | ({"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urlopen(Request(url, headers=headers), timeout=timeout)
    except HTTPError as error:
        if error.code == 416 and offset:  # nothing left to fetch: the hash check decides
            return
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        if offset and not resumed:
            log.info("%s ignores Range requests: downloading %s from the start", url, part.name)
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        with open(part, "ab" if resumed else "wb") as out, \
                tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=part.name[:-5],
                     disable=not progress) as bar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
    if total is not None and part.stat().st_size != total:
        raise DownloadError(f"{url}: connection closed after {part.stat().st_size} of {total} bytes")


def _check(file: ZooFile, part: Path) -> str:
    """Verify size, sha256 and md5 prefix of the finished `.part`; delete it on any mismatch."""
    sha256 = file_digest(part)
    problems = []
    if file.size is not None and part.stat().st_size != file.size:
        problems.append(f"size {part.stat().st_size} instead of {file.size}")
    if file.sha256 is not None and sha256 != file.sha256:
        problems.append(f"sha256 {sha256} instead of {file.sha256}")
    if file.md5_prefix is not None and not file_digest(part, "md5").startswith(file.md5_prefix):
        problems.append(f"md5 does not start with the published {file.md5_prefix}")
    if problems:
        part.unlink()
        raise HashMismatchError(f"{file.name}: the downloaded bytes are not the published file "
                                f"({'; '.join(problems)}); they were deleted")
    return sha256


def fetch(file: ZooFile, directory: str | Path | None = None, allow_unverified: bool = False,
          mirror: str | None = None, progress: bool = True, retries: int = 3, timeout: float = 60.0) -> Downloaded:
    """Download `file` into `directory` (default: the cache) unless a checked copy is already there."""
    if not file.verified and not allow_unverified:
        raise UnverifiedError(f"{file.name}: the registry has no sha256 for this file, so its content cannot be "
                              "checked; pass --allow-unverified (allow_unverified=True) to download it anyway")
    directory = Path(directory) if directory else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target, part = directory / file.name, directory / f"{file.name}.part"
    with FileLock(str(directory / f"{file.name}.lock")):
        if target.is_file():
            sha256 = file_digest(target)
            if file.sha256 is None or sha256 == file.sha256:
                return Downloaded(target, sha256, file.verified)
            log.warning("%s in the cache does not match its sha256: downloading it again", target)
            target.unlink()
        errors = []
        for url in candidate_urls(file, mirror):
            for attempt in range(retries + 1):
                try:
                    _fetch_into(url, part, progress, timeout)
                    sha256 = _check(file, part)
                    os.replace(part, target)
                    return Downloaded(target, sha256, file.verified)
                except HashMismatchError:
                    raise
                except (DownloadError, URLError, HTTPException, OSError) as error:
                    errors.append(f"{url} (attempt {attempt + 1}): {error}")
                    log.warning("download of %s failed: %s", file.name, error)
        kept = f"; {part.stat().st_size} bytes are kept in {part} and resumed next time" if part.exists() else ""
        raise DownloadError(f"could not download {file.name}: {' | '.join(errors[-3:])}{kept}")
