"""The portal widget in Debian's Chromium (headless, driven by Playwright): /demo, streamed cited answers,
citations, hostile document text, 360 px, and the 403 / 429 messages. Skipped when Chromium is absent."""

from __future__ import annotations

import html
import http.server
import json
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.components import Components
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.servers import free_port, running_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 Debian 的 chromium（/usr/bin/chromium）")
sync_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ANSWERABLE = "乡镇干部补贴比县直机关高多少？"
HOSTILE_QUESTION = "组件安全测试办法对脚本标记和图片标记有什么要求？"
HOSTILE_TITLE = "关于<b>组件</b>安全测试的办法"
HOSTILE_TEXT = f"""{HOSTILE_TITLE}

第一条 为检验问答组件的安全性，本办法收录一段脚本标记：<script>window.__pwned=1</script>，该标记应当原样显示为文字。
第二条 图片标记 <img src=x onerror="window.__pwned=2"> 同样应当作为文字显示，不得执行。
第三条 本办法自发布之日起施行。
"""
PORTAL_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>门户</title></head>
<body><h1>另一个站点上的门户</h1><script src="{api}/widget.js" data-key="demo" async></script></body></html>"""
DONE = ".msg.bot[aria-busy='false'], .msg.error"
NO_MARKUP = """() => document.querySelector('policy-assistant-widget').shadowRoot
                 .querySelectorAll('script, img, iframe, object, embed, svg, b').length"""


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Settings:
    """The sample corpus plus a (superseded) regulation whose articles quote <script> and <img onerror>."""
    root = tmp_path_factory.mktemp("widget")
    hostile = root / "hostile"
    hostile.mkdir()
    (hostile / "CATALOG.tsv").write_text(
        "file\tkind\ttitle\tissuer\tdate\tstatus\tsuperseded_by\tnote\n"
        f"zujian-anquan-ceshi.txt\tregulation\t{HOSTILE_TITLE}\t测试办公室（测安发〔2024〕9号）\t2024-01-01\tsuperseded\t\t\n",
        encoding="utf-8")
    (hostile / "zujian-anquan-ceshi.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    settings = Settings(index_dir=root / "index", embedder="fake", embedding_cache=root / "cache.sqlite",
                        refuse_threshold=0.3)
    report = Components.load(settings, create=True).ingestor().run([SEED_CORPUS, hostile])
    assert report.documents == 2 and not report.skipped
    return settings


class PortalPage(http.server.BaseHTTPRequestHandler):
    """A portal on another origin (http://localhost:<port>) embedding the widget from ?api=<assistant URL>."""

    def do_GET(self):
        api = parse_qs(urlsplit(self.path).query).get("api", [""])[0]
        body = PORTAL_PAGE.format(api=html.escape(api)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def portal():
    """The portal's origin. A real loopback server, not a routed page: Chromium only lets pages in the
    loopback address space call a loopback server (Local Network Access)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PortalPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


def serve(index: Settings, allowed: list[str] | None = None, per_minute: int = 1000, portal: str = ""):
    """uvicorn on a port chosen first, so the key "demo" can allow the server's own origin (the /demo page)."""
    port = free_port()
    own = f"http://127.0.0.1:{port}"
    keys = {"demo": [own] + ([portal] if portal else []) if allowed is None else allowed}
    settings = index.model_copy(update={"widget_keys": keys, "widget_rate_per_minute": per_minute})
    return running_app(settings, port=port)


@pytest.fixture(scope="module")
def base_url(index, portal):
    with serve(index, portal=portal) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; fails the test on any uncaught script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, errors


def ask(page, question: str):
    """Open the panel if needed, ask, and wait until the answer (or an error) is complete."""
    if page.locator(".panel").is_hidden():
        page.locator(".launcher").click()
    before = page.locator(DONE).count()
    page.locator("textarea").fill(question)
    page.locator("textarea").press("Enter")
    page.wait_for_function(
        """n => document.querySelector('policy-assistant-widget').shadowRoot
                 .querySelectorAll(".msg.bot[aria-busy='false'], .msg.error").length > n""", arg=before, timeout=20000)
    return page.locator(DONE).last


def save(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    shutil.copy(ARTIFACTS / name, Path("/tmp") / name)


def test_demo_streams_a_cited_answer_and_opens_the_citation(page, base_url):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base_url}/demo")
    launcher = page.locator(".launcher")
    # the portal's hostile CSS (all buttons hidden, 30 px red text) does not reach into the shadow root
    assert launcher.is_visible() and launcher.get_attribute("aria-expanded") == "false"
    with page.expect_response(f"{base_url}/api/chat/stream") as streamed:
        answer = ask(page, ANSWERABLE)
    assert streamed.value.headers["content-type"].startswith("text/event-stream")
    assert streamed.value.text().count("event: delta") >= 1
    assert "bot" in answer.get_attribute("class") and "refused" not in answer.get_attribute("class")
    assert "20%以上" in answer.inner_text()
    style = page.locator(".panel").evaluate("e => [getComputedStyle(e).fontSize, getComputedStyle(e).color]")
    assert style == ["14px", "rgb(31, 35, 40)"]
    markers = answer.locator(".marker")
    assert markers.count() >= 1 and markers.first.inner_text() == "[1]"
    save(page, "widget.png")

    markers.first.click()
    cite = page.locator(".cite")
    assert cite.is_visible()
    assert "关于进一步提振全省干部干事创业精气神激励担当作为的工作措施" in cite.locator("h3").inner_text()
    assert cite.locator("dd[data-field='文号']").inner_text() == "陕组发〔2020〕1号"
    assert "（十三）加大对基层干部关心关爱力度" in cite.locator("dd[data-field='章节']").inner_text()
    assert "20%以上" in cite.locator(".quote").inner_text()
    assert cite.locator("h3").evaluate("e => e.getRootNode().activeElement === e")  # focus moved to the citation
    save(page, "widget-citation.png")

    page.keyboard.press("Escape")  # closes the citation, focus back on the marker
    assert cite.is_hidden()
    assert markers.first.evaluate("e => e.getRootNode().activeElement === e")
    page.keyboard.press("Escape")  # closes the panel, focus back on the launcher
    assert page.locator(".panel").is_hidden()
    assert launcher.evaluate("e => e.getRootNode().activeElement === e")
    assert requests and all(url.startswith(base_url) for url in requests)  # nothing from elsewhere


def test_history_is_kept_in_the_page_and_sent(page, base_url):
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/api/chat/stream") else None)
    page.goto(f"{base_url}/demo")
    ask(page, "专题培训一般安排多长时间？")
    follow_up = ask(page, "那要多久？")
    assert bodies[0]["history"] == []
    assert [m["role"] for m in bodies[1]["history"]] == ["user", "assistant"]
    assert bodies[1]["history"][0]["content"] == "专题培训一般安排多长时间？"
    assert "1周左右" in follow_up.inner_text()


def test_refused_answer_looks_different_and_lists_the_closest_passages(page, base_url):
    page.goto(f"{base_url}/demo")
    answer = ask(page, "今年高考志愿填报从哪天开始？")
    assert "refused" in answer.get_attribute("class")
    assert answer.locator(".label").inner_text() == "未找到直接依据"
    assert answer.locator(".marker").count() == 0
    assert "最接近的条文" in answer.locator(".sources").inner_text() and answer.locator(".source").count() >= 1
    assert answer.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(236, 239, 241)"  # grey, not white
    save(page, "widget-refused.png")


def test_hostile_document_text_is_shown_as_text_and_never_runs(page, base_url):
    page.goto(f"{base_url}/demo")
    answer = ask(page, HOSTILE_QUESTION)
    assert "<script>window.__pwned=1</script>" in answer.locator(".text").inner_text()
    sources = answer.locator(".source", has_text="组件")
    assert sources.count() >= 2
    assert "已废止" in sources.first.inner_text()  # superseded with no successor in the corpus
    seen = ""
    for i in range(sources.count()):
        sources.nth(i).click()
        cite = page.locator(".cite")
        assert HOSTILE_TITLE in cite.locator("h3").inner_text() and "已废止" in cite.locator(".badge").inner_text()
        assert cite.locator("dd[data-field='条款']").inner_text().startswith("第")
        assert cite.locator("dd[data-field='章节']").count() == 0  # the same as the article: not repeated
        assert cite.locator("dd[data-field='文号']").inner_text() == "测安发〔2024〕9号"
        seen += cite.locator(".quote").inner_text()
        if i == 0:
            save(page, "widget-hostile.png")
        page.keyboard.press("Escape")
    assert "<script>window.__pwned=1</script>" in seen
    assert '<img src=x onerror="window.__pwned=2">' in seen
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate(NO_MARKUP) == 0
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0


def test_panel_fits_a_360px_screen(browser, base_url):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{base_url}/demo")
        answer = ask(page, ANSWERABLE)
        box = page.locator(".panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["width"] <= 360
        answer.locator(".marker").first.click()
        cite = page.locator(".cite").bounding_box()
        assert cite["x"] >= 0 and cite["x"] + cite["width"] <= 360
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        save(page, "widget-360.png")
    finally:
        context.close()


def test_widget_on_another_allowed_origin_uses_cors(page, base_url, portal):
    page.goto(f"{portal}/?api={base_url}")
    answer = ask(page, ANSWERABLE)
    assert "bot" in answer.get_attribute("class") and answer.locator(".marker").count() >= 1


def test_origin_not_allowed_shows_the_403_message(page, index, portal):
    with serve(index, allowed=["https://portal.example.cn"]) as url:
        page.goto(f"{url}/demo")
        message = ask(page, ANSWERABLE)
        assert "error" in message.get_attribute("class") and message.get_attribute("role") == "alert"
        assert "本站点未获授权使用问答助手（403）" in message.inner_text()
        save(page, "widget-403.png")

        # from another origin the browser hides the 403 (no CORS grant): the widget still says why it may be
        page.goto(f"{portal}/?api={url}")
        message = ask(page, ANSWERABLE)
        assert "未获授权使用问答助手" in message.inner_text() and "无法连接" in message.inner_text()


def test_too_many_questions_show_the_429_message(page, index):
    with serve(index, per_minute=1) as url:
        page.goto(f"{url}/demo")
        assert "bot" in ask(page, ANSWERABLE).get_attribute("class")
        message = ask(page, "专题培训一般安排多长时间？")
        assert "error" in message.get_attribute("class")
        assert "提问过于频繁，请稍后再试" in message.inner_text()
        assert "秒后" in message.inner_text()  # Retry-After is exposed to the widget
        save(page, "widget-429.png")


def test_data_kb_asks_that_knowledge_base_and_a_key_without_it_is_told_why(page, base_url):
    """data-kb on the script tag goes into the request; the key "demo" (origins only: default only) gets the 403."""
    def with_kb(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('data-key="demo"', 'data-key="demo" data-kb="jiwei"'))

    page.route("**/demo", with_kb)
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data) if r.url.endswith("/api/chat/stream") else None)
    page.goto(f"{base_url}/demo")
    message = ask(page, ANSWERABLE)
    assert json.loads(bodies[0])["kb"] == "jiwei"
    assert "error" in message.get_attribute("class") and "无权使用知识库「jiwei」" in message.inner_text()
