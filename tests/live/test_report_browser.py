"""The HTML report in headless Chromium (Selenium + Debian's chromium-driver), against a register
built on the live RT: one matrix point per assessed improvement in its quadrant, sorting and
filtering the table change the visible rows, the capacity bar of a period shows its committed
effort against its capacity (over-commitment marked), no request leaves the page for another
origin, the screenshot is not blank. ``CI_PLUGIN_UPDATE_SCREENSHOT=1`` saves it to docs/report.png."""

import json
import os
import random
import shutil
import struct
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.live
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

ASSESSED = {"quick win": (9, 2), "major project": (8, 9), "fill-in": (2, 3), "thankless task": (3, 8)}


def colours(png: bytes) -> int:
    """Distinct pixel colours of an 8-bit RGB(A) PNG (stdlib zlib; filters undone)."""
    width, height, depth, kind = struct.unpack(">IIBB", png[16:26])
    assert depth == 8 and kind in (2, 6)
    data, pos = b"", 8
    while pos < len(png):
        length, tag = struct.unpack(">I4s", png[pos:pos + 8])
        if tag == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw, bpp = zlib.decompress(data), 3 if kind == 2 else 4
    stride, seen, prev = width * bpp, set(), bytearray(width * bpp)
    for row in range(height):
        kind_, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind_ == 1:
                line[i] = (line[i] + a) & 255
            elif kind_ == 2:
                line[i] = (line[i] + b) & 255
            elif kind_ == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind_ == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        seen.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 7))
        prev = line
    return len(seen)


@pytest.fixture
def browser():
    if not shutil.which("chromedriver"):
        pytest.skip("chromium-driver is not installed (scripts/test.sh installs it)")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def test_report_in_headless_chromium(rt, run_cli, browser, tmp_path):
    year = random.randint(3000, 9000)  # a period no other test commits to: its figures are exact
    budgeted = tmp_path / "budget.toml"
    budgeted.write_text(open(rt.config_path, encoding="utf-8").read()
                        + f'\n[budget]\nperiod = "quarter"\n[budget."{year}-Q1"]\neffort_days = 10\nmoney = 5000\n',
                        encoding="utf-8")
    config = ("--config", str(budgeted))
    made = {}
    for quadrant, (value, effort) in ASSESSED.items():
        imp = run_cli(*config, "convert", rt.ticket(f"Report browser {quadrant}"), "--category", "process")
        assert imp.code == 0, imp.err
        made[imp.out.strip()] = quadrant
        assessed = run_cli(*config, "assess", imp.out.strip(), "--model", "quadrant",
                           "--set", f"value={value}", "--set", f"effort={effort}")
        assert assessed.code == 0, assessed.err
    committed = next(imp for imp, quadrant in made.items() if quadrant == "major project")
    case = run_cli(*config, "case", committed, "--benefit", "9000", "--cost", "2000", "--effort-days", "12")
    assert case.code == 0, case.err
    dated = run_cli(*config, "update", committed, "--target-date", f"{year}-02-15")
    assert dated.code == 0, dated.err
    for state in ("assessing", "approved"):
        moved = run_cli(*config, "transition", committed, state)
        assert moved.code == 0, moved.err
    page = tmp_path / "report.html"
    result = run_cli(*config, "report", "--html", str(page), "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    states_of = [row["state"] for row in document["register"]]
    pick = next(s for s in ("assessing", "new") if 0 < states_of.count(s) < len(states_of))
    browser.get(page.as_uri())
    points = {p.get_attribute("data-id"): p for p in browser.find_elements(By.CSS_SELECTOR, "#matrix .point")}
    cut = float(browser.find_elements(By.CSS_SELECTOR, "#matrix line")[0].get_attribute("x1"))
    bar = browser.find_element(By.CSS_SELECTOR, f'#capacity .period[data-period="{year}-Q1"]')
    assert (bar.get_attribute("data-committed"), bar.get_attribute("data-capacity")) == ("12", "10")
    assert bar.get_attribute("data-over") == "true" and "12 / 10 days over" in bar.text
    drawn = bar.find_element(By.TAG_NAME, "rect").rect["width"]
    line_x = float(bar.find_element(By.TAG_NAME, "line").get_attribute("x1"))
    assert drawn > line_x - 80 > 0  # the committed bar reaches past the capacity mark
    for imp, quadrant in made.items():
        assert points[imp].get_attribute("data-quadrant") == quadrant
        cx = float(points[imp].find_element(By.TAG_NAME, "circle").get_attribute("cx"))
        assert (cx < cut) == (quadrant in ("quick win", "fill-in"))  # the side of the drawn effort cut
    rows = browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")

    def visible():
        return [r.get_attribute("data-state") for r in rows if r.is_displayed()]

    def first_ids():
        return [r.find_elements(By.TAG_NAME, "td")[1].text for r in
                browser.find_elements(By.CSS_SELECTOR, "#register tbody tr")][:5]

    before = first_ids()
    browser.find_elements(By.CSS_SELECTOR, "#register thead th")[0].click()  # rank ascending
    browser.find_elements(By.CSS_SELECTOR, "#register thead th")[0].click()  # rank descending
    assert first_ids() != before
    states = Select(browser.find_element(By.NAME, "state"))
    assert len(visible()) == len(rows)
    states.select_by_value(pick)
    shown = visible()
    assert set(shown) == {pick} and len(shown) == states_of.count(pick) < len(rows)
    states.select_by_value("")
    requested = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    assert requested and all(url.startswith("file://") for url in requested), requested
    browser.execute_script("window.scrollTo(0, 0)")
    png = browser.get_screenshot_as_png()
    assert colours(png) > 10
    if os.environ.get("CI_PLUGIN_UPDATE_SCREENSHOT") == "1":
        Path(__file__).resolve().parents[2].joinpath("docs", "report.png").write_bytes(png)
