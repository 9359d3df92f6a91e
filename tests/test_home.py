"""/, /docs and /redoc without a browser: links, files from the installation, no CDN; the start-up banner."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.cli.operations import banner


def test_home_docs_and_their_files_come_from_the_installation(fake_settings):
    with TestClient(create_app(fake_settings)) as client:  # no index: these pages do not need one
        home = client.get("/")
        assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
        assert {'href="demo"', 'href="docs"', 'href="redoc"', 'href="readyz"'} <= set(re.findall(r'href="\w+"', home.text))
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200 and "default-src 'self'" in html.headers["content-security-policy"]
            sources = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            assert sources and all(s.startswith("/docs-assets/") for s in sources), sources
            assert "cdn" not in html.text and "fonts.googleapis" not in html.text
            for source in sources:
                assert client.get(source).status_code == 200, source
        paths = client.get("/openapi.json").json()["paths"]
        assert not {"/", "/docs", "/redoc"} & set(paths)  # pages, not API operations


def test_banner_names_the_portal_docs_and_openai_addresses():
    text = banner("0.0.0.0", 8010)
    for url in ("http://127.0.0.1:8010/demo", "http://127.0.0.1:8010/docs", "http://127.0.0.1:8010/v1",
                "http://127.0.0.1:8010/readyz"):
        assert url in text
    assert "http://[::1]:8000/docs" in banner("::1", 8000)
