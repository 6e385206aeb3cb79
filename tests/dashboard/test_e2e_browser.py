"""End to end: a real ``streamlit run`` server, driven by headless Chromium through Playwright."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = ROOT / "docs" / "screenshot.png"
PAGES = {"Data": "Data", "Clusters": "Clusters", "Candidates": "Candidate categories", "Fill-in": "Fill-in",
         "Export": "Export", "Map": "Map"}  # navigation link -> page heading
BAD_TEXT = ("Traceback", "Error:", "Something went wrong", "Exception")

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium` to run the browser test")
    pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = dict(os.environ, LABEL_DISCOVERY_WORKSPACE=str(tmp_path_factory.mktemp("e2e-workspaces")),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = tmp_path_factory.mktemp("e2e-log") / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        wait_for_health(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def select_on_the_map(page, main, tool: str, corners: list[tuple[float, float]]) -> None:
    """Drag the mouse over the map with a toolbar tool (through ``corners``, shares of the plot area), as a
    researcher selects rows to label: the page must then show how many rows were selected, and no error."""
    page.locator(f".modebar-btn[data-title='{tool}']").first.click()
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    points = [(area["x"] + area["width"] * fx, area["y"] + area["height"] * fy) for fx, fy in corners]
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=8)
    page.mouse.up()
    heading = page.get_by_role("heading", name=re.compile(r"^[\d,]+ rows selected$"))
    try:
        heading.wait_for(timeout=60_000)
    except Exception:
        raise AssertionError(f"{tool}: no selection shown; the page says: {main.inner_text()[:1500]}") from None
    text = main.inner_text()
    assert not [bad for bad in BAD_TEXT if bad in text], (tool, text[:2000])
    assert int(heading.inner_text().split()[0].replace(",", "")) > 0


def test_dashboard_in_a_browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        console_errors = []
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        page.goto(server)
        # first visit runs the pipeline (numba compiles UMAP in a fresh process): wait for the points, not a clock
        page.wait_for_selector(".js-plotly-plot canvas", timeout=300_000, state="attached")
        page.wait_for_selector(".js-plotly-plot .scatterlayer, .js-plotly-plot .gl-container", timeout=60_000,
                               state="attached")
        main = page.locator("section.stMain, [data-testid='stMain']").first

        for name, heading in PAGES.items():
            page.get_by_role("link", name=name).first.click()
            page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            text = main.inner_text()
            assert not [bad for bad in BAD_TEXT if bad in text], (name, text[:2000])
            assert page.locator("[data-testid='stException']").count() == 0, name
        page.wait_for_selector(".js-plotly-plot canvas", timeout=120_000, state="attached")
        page.wait_for_timeout(1500)  # let WebGL paint the points before the screenshot
        assert page.locator(".js-plotly-plot").count() >= 1
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
        select_on_the_map(page, main, "Box Select", [(0.35, 0.35), (0.65, 0.65)])
        select_on_the_map(page, main, "Lasso Select", [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7), (0.3, 0.31)])
        browser.close()
    assert not console_errors, console_errors
    assert SCREENSHOT.stat().st_size > 10_000
