"""The model-zoo registry: typed entries read from seed/zoo/registry.yaml, checked on load."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from seed.config import ConfigError, from_dict
from seed.errors import UnknownNameError
from seed.zoo.benchmarks import BY_KEY, benchmark_key

SHA256 = re.compile(r"^[0-9a-f]{64}$")
KINDS = ("teacher", "student", "reference")
REPORTED, MEASURED_STATUS = "reported", "measured"
# the timm network each of the SEED authors' students restates (seed.models.official_students):
# the table and figures group them as one architecture
TIMM_COUNTERPARTS = {"tf_efficientnet_b0_seed": "efficientnet_b0", "tf_efficientnet_b1_seed": "efficientnet_b1",
                     "mobilenetv3_large_seed": "mobilenetv3_large_100"}


@dataclass
class ZooFile:
    """One downloadable file: its published address, mirrors and what we know of its bytes."""

    url: str
    filename: str | None = None
    sha256: str | None = None
    size: int | None = None
    md5_prefix: str | None = None
    mirrors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The cached file's name: `filename`, else the URL's last path segment."""
        return self.filename or self.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]

    @property
    def verified(self) -> bool:
        return self.sha256 is not None


@dataclass
class Provenance:
    """The result record a measured number was read from: its file's sha256, date and command."""

    sha256: str
    date: str
    command: str | None = None
    path: str | None = None


@dataclass
class Metric:
    """One number, keyed by (benchmark, metric), with where it comes from.

    `status: reported` numbers name their `source` (paper and table/figure, or README);
    `status: measured` numbers were measured here: `protocol` is the result record's protocol
    (which ranks them, seed.zoo.benchmarks) and `record` its provenance.
    """

    benchmark: str
    value: float
    metric: str = "top1"
    source: str | None = None
    status: str = REPORTED
    protocol: str | None = None
    record: Provenance | None = None

    @property
    def measured(self) -> bool:
        return self.status == MEASURED_STATUS

    @property
    def key(self) -> tuple[str | None, str]:
        return self.benchmark, self.metric


@dataclass
class ZooEntry:
    """A teacher, a student, or a reference result a paper reports without a file."""

    name: str
    kind: str
    arch: str
    license: str
    method: str
    layout: str = "auto"
    objective: str | None = None
    epochs: int | None = None
    teacher: str | None = None
    teacher_description: str | None = None
    recipe: str | None = None
    notes: str | None = None
    files: list[ZooFile] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)

    @property
    def family(self) -> str:
        """The architecture the table and figures group by: an authors' student counts as the timm network it restates."""
        return TIMM_COUNTERPARTS.get(self.arch, self.arch)

    @property
    def verified(self) -> bool:
        return bool(self.files) and all(f.verified for f in self.files)

    def values(self, benchmark: str, metric: str | None = None, measured: bool | None = None) -> list[Metric]:
        """This entry's numbers for one benchmark (its headline metric unless named), reported or
        measured or both; reported in file order, then measured: most faithful protocol, newest first."""
        wanted = metric or (BY_KEY[benchmark].metric if benchmark in BY_KEY else "top1")
        found = [m for m in self.metrics if m.key == (benchmark, wanted) and measured in (None, m.measured)]
        rank = BY_KEY[benchmark].preference if benchmark in BY_KEY else (lambda protocol: 0)
        ours = sorted((m for m in found if m.measured), reverse=True, key=lambda m: m.record.date)
        ours.sort(key=lambda m: rank(m.protocol))  # stable: newest first within one protocol
        return [m for m in found if not m.measured] + ours


@dataclass
class ZooRegistry:
    """All entries, by name, in file order."""

    entries: list[ZooEntry]
    path: Path

    def get(self, name: str) -> ZooEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise UnknownNameError(f"no model {name!r} in the zoo ({self.path}); `seed zoo list` shows the names")

    def select(self, student: str | None = None, teacher: str | None = None, kind: str | None = None
               ) -> list[ZooEntry]:
        """Entries whose architecture / teacher contain the given text (case-insensitive)."""
        def has(text: str | None, wanted: str | None) -> bool:
            return wanted is None or (text is not None and wanted.lower() in text.lower())

        return [e for e in self.entries
                if (kind is None or e.kind == kind)
                and (student is None or (e.kind != "teacher" and has(e.arch, student)))
                and (teacher is None or has(e.teacher or e.teacher_description or (e.name if e.kind == "teacher"
                                                                                   else None), teacher))]


def record_measurement(registry: ZooRegistry, sha256: str | None, filename: str | None, metric: Metric) -> ZooEntry | None:
    """Attach a measured metric to the entry whose file has this sha256 (or, for unverified files,
    this file name); it replaces an earlier measurement of the same benchmark, metric and protocol."""
    for entry in registry.entries:
        if any((sha256 and f.sha256 == sha256) or (f.sha256 is None and filename == f.name) for f in entry.files):
            set_measurement(entry, metric)
            return entry
    return None


def set_measurement(entry: ZooEntry, metric: Metric) -> None:
    """Attach a measured metric to `entry`, replacing an earlier one of the same benchmark, metric and protocol."""
    entry.metrics = [m for m in entry.metrics
                     if not (m.measured and (m.key, m.protocol) == (metric.key, metric.protocol))]
    entry.metrics.append(metric)


def merge_registries(registries: list[ZooRegistry]) -> ZooRegistry:
    """One registry of every entry of `registries` (the packaged one first, then user files): a later
    file's entry replaces an earlier one of the same name. Its path is the first registry's."""
    entries: dict[str, ZooEntry] = {}
    for registry in registries:
        for entry in registry.entries:
            entries.pop(entry.name, None)
            entries[entry.name] = entry
    return ZooRegistry(list(entries.values()), registries[0].path)


def default_registry_path() -> Path:
    return Path(str(resources.files("seed.zoo").joinpath("registry.yaml")))


def load_registry(path: str | Path | None = None) -> ZooRegistry:
    """Read and check the registry: known kinds, unique names, well-formed hashes, teachers that exist."""
    path = Path(path) if path else default_registry_path()
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data.get("models"), list):
        raise ConfigError(f"{path}: expected a top-level `models:` list")
    for i, item in enumerate(data["models"]):
        for index, metric in enumerate(item.get("metrics") or [] if isinstance(item, dict) else []):
            _require_benchmark(metric, f"{path}: {item.get('name', f'models[{i}]')}: metrics[{index}]")
    entries = [from_dict(ZooEntry, item, source=str(path), prefix=f"models[{i}]")
               for i, item in enumerate(data["models"])]
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: duplicate model names {duplicates}")
    for entry in entries:
        if entry.kind not in KINDS:
            raise ConfigError(f"{path}: {entry.name}: kind must be one of {KINDS}, got {entry.kind!r}")
        if entry.teacher is not None and entry.teacher not in names:
            raise ConfigError(f"{path}: {entry.name}: teacher {entry.teacher!r} is not an entry")
        if entry.kind != "reference" and not entry.files:
            raise ConfigError(f"{path}: {entry.name}: a {entry.kind} needs at least one file")
        for file in entry.files:
            if file.sha256 is not None and not SHA256.match(file.sha256):
                raise ConfigError(f"{path}: {entry.name}: sha256 {file.sha256!r} is not 64 lowercase hex digits")
        for index, metric in enumerate(entry.metrics):
            _check_metric(metric, f"{path}: {entry.name}: metrics[{index}]")
    return ZooRegistry(entries, path)


def _require_benchmark(item: Any, where: str) -> None:
    """A metric names its benchmark; the older `{protocol, dataset}` form is refused with the key to write instead."""
    if not isinstance(item, dict) or "benchmark" in item:
        return
    if "protocol" in item and "dataset" in item:
        raise ConfigError(f"{where}: the older {{protocol, dataset}} form is no longer read: write "
                          f"`benchmark: {benchmark_key(item['protocol'], item['dataset'])}` in place of "
                          "`protocol` and `dataset`")
    raise ConfigError(f"{where}: give `benchmark` (one of {', '.join(BY_KEY)})")


def _check_metric(metric: Metric, where: str) -> None:
    """Refuse a number that cannot say where it comes from."""
    if metric.status not in (REPORTED, MEASURED_STATUS):
        raise ConfigError(f"{where}: status must be {REPORTED!r} or {MEASURED_STATUS!r}, got {metric.status!r}")
    if metric.status == REPORTED and not (metric.source or "").strip():
        raise ConfigError(f"{where}: reported {metric.benchmark} {metric.metric} = {metric.value:g} has no `source` "
                          "(name the paper and table/figure, or the README)")
    if metric.status == REPORTED and metric.protocol is not None:
        raise ConfigError(f"{where}: `protocol` names the result record of a measured number; a reported one "
                          "names its `benchmark` and `source` only")
    if metric.status == MEASURED_STATUS and metric.record is None:
        raise ConfigError(f"{where}: measured {metric.benchmark} {metric.metric} has no `record` "
                          "(the result record's sha256, date and command); fill it with `seed results --update-zoo`")


FIELD_ORDER = ("benchmark", "metric", "value", "status", "protocol", "source", "record")  # a metric's line in the file


def save_registry(registry: ZooRegistry) -> bool:
    """Write the entries' metrics back into the registry file, leaving every other byte as it is
    (seed.zoo.writer); returns whether the file changed."""
    from seed.zoo.writer import write_metrics

    return write_metrics(registry.path, {entry.name: [metric_fields(m) for m in entry.metrics]
                                         for entry in registry.entries})


def metric_fields(metric: Metric) -> dict[str, Any]:
    """A metric as the registry file writes it: defaults and empty fields left out."""
    values = asdict(metric)
    fields = {key: values[key] for key in FIELD_ORDER if values[key] is not None}
    if fields["status"] == REPORTED:
        del fields["status"]
    if "record" in fields:
        fields["record"] = {key: value for key, value in fields["record"].items() if value is not None}
    return fields
