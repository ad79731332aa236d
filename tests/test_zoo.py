"""The model zoo: registry, downloads against a local HTTP server, MODEL_ZOO.md, the plot."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

import seed.zoo
from downstream.records import ResultRecord, write_record
from seed.zoo.download import DownloadError, HashMismatchError, UnverifiedError, fetch
from seed.zoo.registry import Provenance, ZooFile, load_registry
from seed.zoo.render import render_markdown

from conftest import REPO, run_cli, write_teacher


class FileServer:
    """A local HTTP server with switchable faults: Range support, cutting a response half-way, slowness."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.support_range = True
        self.cut_next = 0
        self.delay = 0.0
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                server.requests.append((path, self.headers.get("Range")))
                data = server.files.get(path)
                if data is None:
                    self.send_error(404)
                    return
                start, requested = 0, self.headers.get("Range")
                if requested and server.support_range:
                    start = int(requested.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_next:
                    server.cut_next -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                for offset in range(0, len(body), 4096):
                    self.wfile.write(body[offset:offset + 4096])
                    if server.delay:
                        time.sleep(server.delay)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, name: str, data: bytes) -> ZooFile:
        self.files[f"/{name}"] = data
        return ZooFile(url=f"{self.base}/{name}?token=abc", filename=name, sha256=hashlib.sha256(data).hexdigest())

    def full_gets(self, name: str) -> int:
        return sum(1 for path, rng in self.requests if path == f"/{name}" and rng is None)


@pytest.fixture
def server():
    serving = FileServer()
    yield serving
    serving.httpd.shutdown()


PAYLOAD = bytes(range(256)) * 2000  # 512 kB


def test_normal_download_checks_the_hash_and_lands_in_place(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    result = fetch(file, tmp_path, progress=False)
    assert result.path == tmp_path / "weights.pth" and result.path.read_bytes() == PAYLOAD and result.verified
    again = fetch(file, tmp_path, progress=False)  # cached: no second request
    assert again.path == result.path and len(server.requests) == 1


def test_connection_cut_half_way_leaves_a_part_file_then_resumes(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    server.cut_next = 1
    with pytest.raises(DownloadError, match="kept in .*weights.pth.part"):
        fetch(file, tmp_path, progress=False, retries=0)
    part = tmp_path / "weights.pth.part"
    assert part.is_file() and 0 < part.stat().st_size < len(PAYLOAD)
    assert not (tmp_path / "weights.pth").exists()  # a partial file is never taken for a whole one
    result = fetch(file, tmp_path, progress=False, retries=0)
    assert result.path.read_bytes() == PAYLOAD and not part.exists()
    assert server.requests[-1][1] == f"bytes={len(PAYLOAD) // 2}-"  # resumed with a Range request


def test_retries_resume_within_one_call(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    server.cut_next = 2
    assert fetch(file, tmp_path, progress=False, retries=3).path.read_bytes() == PAYLOAD
    assert [rng is not None for _, rng in server.requests] == [False, True, True]


def test_server_without_range_support_is_read_from_the_start(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    server.support_range = False
    server.cut_next = 1
    with pytest.raises(DownloadError):
        fetch(file, tmp_path, progress=False, retries=0)
    result = fetch(file, tmp_path, progress=False, retries=0)
    assert result.path.read_bytes() == PAYLOAD  # the 200 answer replaced the partial bytes


def test_wrong_hash_is_rejected_and_nothing_is_left_in_the_cache(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    file.sha256 = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(HashMismatchError, match="sha256"):
        fetch(file, tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_published_md5_prefix_is_checked(server, tmp_path):
    file = server.add("weights.pth", PAYLOAD)
    file.sha256, file.md5_prefix = None, "00000000"
    with pytest.raises(HashMismatchError, match="md5"):
        fetch(file, tmp_path, progress=False, allow_unverified=True)
    file.md5_prefix = hashlib.md5(PAYLOAD).hexdigest()[:8]
    assert fetch(file, tmp_path, progress=False, allow_unverified=True).path.is_file()


def test_two_concurrent_downloads_of_one_file_fetch_it_once(server, tmp_path):
    file = server.add("big.pth", PAYLOAD)
    server.delay = 0.002  # ~0.25 s per download: the two processes overlap
    code = ("import sys, json; from seed.zoo.download import fetch; from seed.zoo.registry import ZooFile\n"
            "f = ZooFile(**json.loads(sys.argv[1])); print(fetch(f, sys.argv[2], progress=False).sha256)")
    spec = json.dumps({"url": file.url, "filename": file.name, "sha256": file.sha256})
    processes = [subprocess.Popen([sys.executable, "-c", code, spec, str(tmp_path)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert {out.strip() for out, _ in outputs} == {file.sha256}
    assert server.full_gets("big.pth") == 1 and (tmp_path / "big.pth").read_bytes() == PAYLOAD


def test_mirror_override_replaces_the_published_address(server, tmp_path, monkeypatch):
    file = server.add("weights.pth", PAYLOAD)
    file.url = "http://127.0.0.1:9/unreachable/weights.pth"
    monkeypatch.setenv("SEED_ZOO_MIRROR", server.base)
    assert fetch(file, tmp_path, progress=False).path.read_bytes() == PAYLOAD


def write_registry(path: Path, server: FileServer, student_file: Path, verified: bool = True) -> Path:
    data = student_file.read_bytes()
    served = server.add("student.pth", data)
    entry = {"name": "tiny-student", "kind": "student", "arch": "resnet18", "layout": "seed", "method": "SEED",
             "objective": "seed", "license": "MIT",
             "files": [{"url": served.url, "filename": "student.pth", "sha256": served.sha256 if verified else None}]}
    path.write_text(yaml.safe_dump({"models": [entry]}))
    return path


def test_unverified_entry_is_refused_without_the_flag(server, tmp_path):
    registry = write_registry(tmp_path / "zoo.yaml", server, write_teacher(tmp_path / "t.pth"), verified=False)
    refused = run_cli("zoo", "--registry", str(registry), "download", "tiny-student", "--dir", str(tmp_path / "c"))
    assert refused.returncode != 0 and "--allow-unverified" in refused.stderr
    assert not (tmp_path / "c" / "student.pth").exists()
    allowed = run_cli("zoo", "--registry", str(registry), "download", "tiny-student", "--dir", str(tmp_path / "c"),
                      "--allow-unverified")
    assert allowed.returncode == 0, allowed.stderr
    assert hashlib.sha256((tmp_path / "t.pth").read_bytes()).hexdigest() in allowed.stdout
    assert "UNVERIFIED" in allowed.stdout
    with pytest.raises(UnverifiedError):
        fetch(load_registry(registry).get("tiny-student").files[0], tmp_path / "d", progress=False)


def test_zoo_load_returns_a_ready_timm_model(server, tmp_path, monkeypatch):
    teacher = write_teacher(tmp_path / "t.pth")
    registry = load_registry(write_registry(tmp_path / "zoo.yaml", server, teacher))
    monkeypatch.setenv("SEED_ZOO_CACHE", str(tmp_path / "cache"))
    backbone = seed.zoo.load("tiny-student", registry=registry)
    assert not backbone.training and backbone(torch.randn(1, 3, 32, 32)).shape == (1, 512)
    expected = torch.load(teacher, weights_only=True)["backbone"]["conv1.weight"]
    assert torch.equal(backbone.state_dict()["conv1.weight"], expected)


def test_list_and_show_filter_the_packaged_registry():
    listing = run_cli("zoo", "list", "--student", "efficientnet_b0")
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:]]  # under the header line
    assert names and all("efficientnet_b0" in name for name in names)
    teachers = run_cli("zoo", "list", "--teacher", "swav", "--kind", "teacher").stdout
    assert "swav_r50w2_400ep" in teachers and "moco" not in teachers
    shown = yaml.safe_load(run_cli("zoo", "show", "moco-v2_r50_200ep").stdout)
    assert shown["layout"] == "moco" and shown["files"][0]["md5_prefix"] == "59fd9945"


def test_packaged_registry_is_consistent():
    registry = load_registry()
    students = registry.select(kind="student")
    assert students and all(e.teacher is None or registry.get(e.teacher).kind == "teacher" for e in students)
    assert all(m.source for e in registry.entries for m in e.metrics)


def test_model_zoo_md_is_up_to_date():
    assert (REPO / "MODEL_ZOO.md").read_text() == render_markdown(load_registry()), \
        "MODEL_ZOO.md is out of date: run `seed zoo render`"


def test_plot_is_a_png_of_the_requested_size(tmp_path):
    result = run_cli("zoo", "plot", str(tmp_path / "figure1.png"), "--width", "5", "--height", "4", "--dpi", "80")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "figure1.png") as image:
        assert image.format == "PNG" and image.size == (400, 320)


def test_results_fill_measured_metrics_into_the_registry(server, tmp_path):
    registry_file = write_registry(tmp_path / "zoo.yaml", server, write_teacher(tmp_path / "t.pth"))
    sha = load_registry(registry_file).get("tiny-student").files[0].sha256
    record = ResultRecord(model="tiny", protocol="knn", dataset="imagenet", split="val", metrics={"top1": 12.5},
                          primary_metric="top1", checkpoint=str(tmp_path / "elsewhere.pth"), checkpoint_sha256=sha)
    write_record(record, tmp_path / "results")
    result = run_cli("results", str(tmp_path / "results"), "--update-zoo", str(registry_file))
    assert result.returncode == 0, result.stderr
    metric = load_registry(registry_file).get("tiny-student").values("imagenet-knn", measured=True)[0]
    record_file = tmp_path / "results" / "tiny__knn__imagenet__val.json"
    assert metric.value == 12.5 and metric.measured and metric.benchmark == "imagenet-knn"
    assert isinstance(metric.record, Provenance) and metric.record.path == str(record_file)
    assert metric.record.sha256 == hashlib.sha256(record_file.read_bytes()).hexdigest()
    assert metric.record.date == record.created


def test_download_can_convert_for_mmsegmentation(server, tmp_path):
    registry = write_registry(tmp_path / "zoo.yaml", server, write_teacher(tmp_path / "t.pth"))
    result = run_cli("zoo", "--registry", str(registry), "download", "tiny-student", "--dir", str(tmp_path / "c"),
                     "--convert", "mmseg")
    assert result.returncode == 0, result.stderr[-2000:]
    converted = tmp_path / "c" / "student.pth.mmseg.pth"
    assert f"converted for mmseg: {converted}" in result.stdout
    state = torch.load(converted, weights_only=True)["state_dict"]
    expected = torch.load(tmp_path / "t.pth", weights_only=True)["backbone"]["conv1.weight"]
    assert torch.equal(state["timm_model.conv1.weight"], expected)


def test_zoo_load_reads_an_official_seed_student_as_the_authors_network(server, tmp_path, monkeypatch):
    from official_archs import seed_checkpoint

    theirs = seed_checkpoint("efficientnet_b0", tmp_path / "b0.pth.tar")
    served = server.add("b0.pth.tar", (tmp_path / "b0.pth.tar").read_bytes())
    entry = {"name": "official-b0", "kind": "student", "arch": "tf_efficientnet_b0_seed", "layout": "seed-official",
             "method": "SEED", "objective": "seed", "license": "MIT",
             "files": [{"url": served.url, "filename": "b0.pth.tar", "sha256": served.sha256}]}
    (tmp_path / "zoo.yaml").write_text(yaml.safe_dump({"models": [entry]}))
    monkeypatch.setenv("SEED_ZOO_CACHE", str(tmp_path / "cache"))
    backbone = seed.zoo.load("official-b0", registry=load_registry(tmp_path / "zoo.yaml"))
    images = torch.randn(1, 3, 224, 224, dtype=torch.float64)
    with torch.no_grad():
        ours, expected = backbone.double()(images), theirs.double().pooled(images)
    assert float((ours - expected).norm() / expected.norm()) <= 1e-5
