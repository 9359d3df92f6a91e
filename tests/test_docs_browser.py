"""An intranet installation in Chromium with the network cut: /docs (Swagger UI) and /redoc render from files of
the installation, / leads to the demo portal and the docs; and the README's screenshot of the portal widget
answering over the bundled corpus. Skipped when Chromium is absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.servers import running_app
from tests.test_widget_browser import ARTIFACTS, CHROMIUM, ask

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 Debian 的 chromium（/usr/bin/chromium）")
sync_api = pytest.importorskip("playwright.sync_api")

DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
README_QUESTION = "受到严重警告处分多久不能提拔？"
# every name resolves to nothing except the loopback address: no CDN, no font host, no validator can answer
NO_NETWORK = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", f"--host-resolver-rules={NO_NETWORK}"])
        yield browser
        browser.close()


@pytest.fixture
def offline(browser):
    """A page that may reach only 127.0.0.1; `page.elsewhere` lists what it tried to fetch from anywhere else."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.elsewhere = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            r.continue_()
        else:
            page.elsewhere.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def base_url(seed_fake_settings):
    with running_app(seed_fake_settings) as url:
        yield url


def save(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_swagger_ui_renders_without_network(offline, base_url):
    offline.goto(f"{base_url}/docs")
    offline.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "政策知识助手" in offline.locator(".swagger-ui .info .title").inner_text()
    offline.wait_for_selector(".opblock", timeout=15000)
    paths = offline.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/chat", "/api/search", "/v1/chat/completions"} <= {p.replace("\u200b", "") for p in paths}
    offline.locator(".opblock-summary", has_text="/api/search").first.click()  # an operation opens, schema shown
    offline.wait_for_selector(".opblock.is-open .opblock-body", timeout=5000)
    save(offline, "docs-swagger.png")
    assert offline.elsewhere == []


def test_redoc_renders_without_network(offline, base_url):
    offline.goto(f"{base_url}/redoc")
    offline.wait_for_selector("h1", timeout=20000)
    assert "政策知识助手" in offline.locator("h1").first.inner_text()
    offline.wait_for_selector("[data-section-id*='operation']", state="attached", timeout=20000)
    assert offline.locator("[data-section-id*='operation']").count() >= 10
    save(offline, "docs-redoc.png")
    assert offline.elsewhere == []


def test_home_leads_to_the_demo_portal_and_the_docs(offline, base_url):
    offline.goto(f"{base_url}/")
    assert offline.locator("h1").inner_text() == "政策知识助手"
    offline.get_by_role("link", name="演示门户").click()
    offline.wait_for_url(f"{base_url}/demo")
    assert offline.locator("policy-assistant-widget").count() == 1
    offline.go_back()
    offline.get_by_role("link", name="接口文档（Swagger UI）").click()
    offline.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert offline.elsewhere == []


@pytest.mark.slow
def test_readme_screenshot_of_the_widget_answering(offline, bundled_index):
    """The picture in the README: the demo portal's widget answering a cadre's question over the bundled corpus
    (real embedder). Saved under tests/artifacts/; copied to docs/images/ with ASSISTANT_UPDATE_DOCS=1."""
    import os

    with running_app(bundled_index) as url:
        offline.set_viewport_size({"width": 1100, "height": 900})
        offline.goto(f"{url}/demo")
        answer = ask(offline, README_QUESTION)
        assert "bot" in answer.get_attribute("class") and answer.locator(".marker").count() >= 1
        offline.wait_for_timeout(300)  # the last delta painted
        offline.locator(".log").evaluate("e => { e.scrollTop = 0 }")  # the question in view
        save(offline, "readme-widget.png")
    assert offline.elsewhere == []
    if os.environ.get("ASSISTANT_UPDATE_DOCS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / "readme-widget.png", DOCS_IMAGES / "widget.png")
