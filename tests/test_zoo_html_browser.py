"""The model-zoo web page in a real headless browser: filter, sort, compare, copy, and read it without its script.

Needs Debian's Chromium and its driver (`apt-get install -y chromium chromium-driver`) and selenium (the
`dev` extra); selenium is pointed at /usr/bin/chromedriver, so nothing is downloaded. The screenshot of the
filtered and sorted page goes to $SEED_ZOO_SCREENSHOT when set (README shows docs/zoo/screenshot.png).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from seed.zoo.html import PAGE, combine, render_page
from seed.zoo.registry import ZooRegistry, load_registry
from seed.zoo.render import FIGURE_DIR, students

from conftest import REPO
from zoo_site_fixtures import RECORD_SHA, write_user_registry

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
BENCHMARK = "imagenet-linear"
# as root, without a sandbox; no background connections (this network is closed), a profile of its own
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,900")


def start_browser(profile: Path, javascript: bool = True):
    """Headless Debian Chromium driven by /usr/bin/chromedriver; fails (never skips) when either is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: the browser tests need Debian's Chromium and its driver, "
                    "`apt-get update && apt-get install -y chromium chromium-driver`")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("the browser tests need selenium: pip install -e '.[dev]'")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@dataclass
class Site:
    page: Path
    registry: ZooRegistry


def write_site(folder: Path, registries: list[ZooRegistry]) -> Site:
    """The page of these registries, beside the committed figures."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PAGE).write_text(render_page(registries), encoding="utf-8")
    for figure in (REPO / FIGURE_DIR).glob("*.png"):
        shutil.copy(figure, folder)
    return Site(folder / PAGE, combine(registries)[0])


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Site:
    """The page of the packaged zoo, as docs/zoo/ holds it."""
    return write_site(tmp_path_factory.mktemp("zoo"), [load_registry()])


@pytest.fixture(scope="module")
def mine(tmp_path_factory) -> Site:
    """The packaged zoo plus a user registry: a student with a reported and a measured number."""
    folder = tmp_path_factory.mktemp("mine")
    return write_site(folder, [load_registry(), load_registry(write_user_registry(folder / "mine.yaml"))])


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_browser(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


def open_page(driver, site: Site):
    """The page freshly opened from file://, as a user double-clicking it would."""
    driver.get(site.page.as_uri())
    return driver


def visible_rows(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.get_attribute("id").removeprefix("model-")
            for row in driver.find_elements(By.CSS_SELECTOR, "#zoo tbody tr") if row.is_displayed()]


def choose(driver, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.NAME, name)).select_by_value(value)


def sort_by(driver, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'th[data-key="{key}"] button').click()


def expected_order(registry: ZooRegistry, arch: str, descending: bool) -> list[str]:
    """An architecture's rows by their measured number (else the best reported), empty ones last in page order."""
    def number(entry):
        measured = entry.values(BENCHMARK, measured=True)
        values = [measured[0].value] if measured else [m.value for m in entry.values(BENCHMARK, measured=False)]
        return max(values) if values else None

    group = students(registry)[arch]
    numbered = sorted((e for e in group if number(e) is not None), key=number, reverse=descending)
    return [e.name for e in numbered] + [e.name for e in group if number(e) is None]


def test_filtering_to_one_architecture_and_sorting_by_a_benchmark_shows_its_rows_best_first(browser, zoo):
    from selenium.webdriver.common.by import By

    page, arch = open_page(browser, zoo), "efficientnet_b0"
    assert len(visible_rows(page)) == len(zoo.registry.entries)
    choose(page, "arch", arch)
    assert sorted(visible_rows(page)) == sorted(e.name for e in students(zoo.registry)[arch])
    sort_by(page, BENCHMARK)
    shown = visible_rows(page)
    assert shown == expected_order(zoo.registry, arch, descending=True)
    assert len(shown) > 2 and shown[0] == "paper_supervised_efficientnet_b0"  # the supervised upper reference
    assert page.find_element(By.CSS_SELECTOR, f'th[data-key="{BENCHMARK}"]').get_attribute("aria-sort") == "descending"
    assert page.find_element(By.ID, "shown").text == f"{len(shown)} of {len(zoo.registry.entries)} shown"

    screenshot = Path(os.environ.get("SEED_ZOO_SCREENSHOT") or zoo.page.with_name("screenshot.png"))
    page.save_screenshot(str(screenshot))
    Image.open(screenshot).convert("RGB").quantize(64).save(screenshot, optimize=True)  # a small PNG for README

    sort_by(page, BENCHMARK)  # again: worst first, the empty cells still last
    assert visible_rows(page) == expected_order(zoo.registry, arch, descending=False)
    choose(page, "kind", "student")
    assert visible_rows(page) == [n for n in expected_order(zoo.registry, arch, descending=False)
                                  if zoo.registry.get(n).kind == "student"]
    page.find_element(By.CSS_SELECTOR, "#filters button[type=reset]").click()
    assert len(visible_rows(page)) == len(zoo.registry.entries)


def test_a_measured_number_sits_beside_the_reported_one_and_sorts_the_row(browser, mine):
    from selenium.webdriver.common.by import By

    page = open_page(browser, mine)
    choose(page, "arch", "resnet18")
    sort_by(page, BENCHMARK)
    shown = visible_rows(page)
    assert shown == expected_order(mine.registry, "resnet18", descending=True)
    assert shown[0] == "my_seed_resnet18"  # its measured 99.4 sorts it, not its reported 52.5
    headers = page.find_elements(By.CSS_SELECTOR, "#zoo thead th")
    column = [h.get_attribute("data-key") for h in headers].index(BENCHMARK)
    cell = page.find_element(By.CSS_SELECTOR, f"#model-my_seed_resnet18 > :nth-child({column + 1})")
    assert re.fullmatch(r"52\.5\d+ / 99\.4\*m\d+", cell.text), cell.text  # side by side, each with its footnote


def test_a_number_names_its_source_on_hover_and_links_to_the_paper_or_the_record(browser, mine):
    from selenium.webdriver.common.by import By

    page = open_page(browser, mine)
    row = page.find_element(By.ID, "model-my_seed_resnet18")
    reported = row.find_element(By.CSS_SELECTOR, "span.reported")
    assert reported.get_attribute("title") == "DisCo paper (Gao et al.), Table 1"
    assert reported.find_element(By.TAG_NAME, "a").get_attribute("href") == "https://arxiv.org/abs/2104.09124"
    measured = row.find_element(By.CSS_SELECTOR, "span.measured")
    assert RECORD_SHA in measured.get_attribute("title")
    link = measured.find_element(By.TAG_NAME, "a")
    link.click()
    record = page.find_element(By.ID, link.get_attribute("href").split("#")[1])
    assert RECORD_SHA in record.text and "seed eval linear --model my.pth" in record.text


def test_the_compare_view_puts_the_ticked_rows_side_by_side_and_marks_the_best(browser, mine):
    from selenium.webdriver.common.by import By

    page = open_page(browser, mine)
    section = page.find_element(By.ID, "compare")
    assert not section.is_displayed()
    for name in ("my_seed_resnet18", "paper_seed_resnet18_from_r50"):
        page.find_element(By.CSS_SELECTOR, f'input[value="{name}"]').click()
    assert section.is_displayed()
    names = [th.text for th in section.find_elements(By.CSS_SELECTOR, "thead th")]
    assert names == ["paper_seed_resnet18_from_r50", "my_seed_resnet18"]  # in the table's order
    line = next(tr for tr in section.find_elements(By.CSS_SELECTOR, "tbody tr")
                if tr.find_element(By.TAG_NAME, "th").text == "ImageNet linear top-1")
    cells = line.find_elements(By.TAG_NAME, "td")
    assert ["best" in c.get_attribute("class") for c in cells] == [False, True]  # 99.4 measured
    page.find_element(By.ID, "compare-clear").click()
    assert not section.is_displayed()


def test_a_command_has_a_copy_button(browser, mine):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = open_page(browser, mine)
    codes = page.find_elements(By.CSS_SELECTOR, "#model-my_seed_resnet18 code.command")
    assert [c.text for c in codes][1] == "seed bench my_seed_resnet18 --suite seed-paper"
    button = codes[1].find_element(By.XPATH, "following-sibling::button[1]")
    button.click()
    WebDriverWait(page, 10).until(lambda _: button.text != "copy")  # the copy is asynchronous
    assert button.text == "copied"


def test_the_page_reads_without_its_script(mine, tmp_path):
    from selenium.webdriver.common.by import By

    driver = start_browser(tmp_path / "profile", javascript=False)
    try:
        driver.get(mine.page.as_uri())
        assert len(visible_rows(driver)) == len(mine.registry.entries)  # the whole table
        assert not driver.find_elements(By.CSS_SELECTOR, "button.copy")  # the script did not run
        assert not driver.find_element(By.ID, "filters").is_displayed()  # controls that would do nothing
        row = driver.find_element(By.ID, "model-my_seed_resnet18")
        assert "52.5" in row.text and "99.4*" in row.text and "seed bench my_seed_resnet18" in row.text
    finally:
        driver.quit()
