"""The HTML report opens in headless Chromium: every figure loads, no console errors, the page is not blank."""

from __future__ import annotations

import io
import os
import shutil

import pytest

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # chromium start-up alone takes 5-15 s on a loaded 2-core machine
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                       reason="needs Debian chromium + chromium-driver at /usr/bin (CI installs them)"),
]


@pytest.fixture()
def driver(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_report_renders_in_chromium(driver, fixture_report, tmp_path):
    import numpy as np
    from matplotlib.image import imread

    driver.get(fixture_report.resolve().as_uri())
    complete = driver.execute_script("return document.readyState")
    assert complete == "complete"
    boxes = driver.execute_script(
        "return Array.from(document.querySelectorAll('figure > svg')).map(s => s.getBoundingClientRect())"
        ".map(r => [r.width, r.height]);")
    assert len(boxes) == 12  # 10 figures + the preprint section's head-to-head and batch gap
    assert all(w > 200 and h > 100 for w, h in boxes), boxes
    overflow = driver.execute_script("""
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
          if (el.closest('svg') || el.clientWidth === 0) continue;  // SVG internals have no box of their own
          if (el.scrollWidth > el.clientWidth + 1) out.push([el.tagName, el.id, el.scrollWidth, el.clientWidth]);
          const r = el.getBoundingClientRect();
          if (r.right > window.innerWidth + 1) out.push([el.tagName, el.id, 'right', r.right, window.innerWidth]);
        }
        const doc = document.documentElement;
        if (doc.scrollWidth > window.innerWidth) out.push(['page', doc.scrollWidth, window.innerWidth]);
        if (document.body.getBoundingClientRect().width > window.innerWidth) out.push(['body wider than viewport']);
        return out;""")
    assert not overflow, overflow[:10]
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    png = driver.get_screenshot_as_png()
    pixels = imread(io.BytesIO(png))[..., :3]
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    non_white = (pixels.min(axis=2) < 0.9).mean()
    assert len(colours) > 50 and non_white > 0.02, (len(colours), non_white)
    driver.execute_script("document.getElementById('fig-volume_vs_size').scrollIntoView();")
    shot = imread(io.BytesIO(driver.get_screenshot_as_png()))[..., :3]
    assert len(np.unique((shot * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50  # a figure is on screen
