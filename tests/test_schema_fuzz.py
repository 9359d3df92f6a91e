"""Schema fuzzing (schemathesis) over real HTTP: every operation of the app's own OpenAPI schema, with valid and
invalid inputs, against uvicorn on a small fake-embedder index. No 5xx; status codes, content types, headers and
JSON bodies must be what the schema documents. Operations are read from the schema, so routes added later (more
/api/documents…) are fuzzed without touching this file. Nothing is skipped: the checks left out for two
operations are listed in NOT_STATABLE with the reason, and the server-sent event streams (/api/chat/stream,
`stream: true`) are checked for status and content type only — OpenAPI cannot describe an event stream's body
(tests/test_chat_api.py reads those events)."""

from __future__ import annotations

import shutil

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from assistant.api import create_app
from assistant.components import Components
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.servers import running_app

ADMIN_KEY = "fuzz-admin-key-0123456789abcdef"
ADMIN_PREFIX = "/api/documents"
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
# Rules the API enforces that JSON Schema cannot state, so a schema-valid request may rightly get a 4xx there:
NOT_STATABLE = {
    # OpenAI's format: the question is the *last* message and must come from the user
    ("POST", "/v1/chat/completions"): [checks.positive_data_acceptance],
    # the file must be a readable .txt/.md/.docx/.pdf/.html whose content matches its name
    ("POST", "/api/documents"): [checks.positive_data_acceptance],
}

# The schema is read from the app at import, so pytest lists one test per operation; the first test checks that
# the server serves this very schema. (schemathesis.pytest.from_fixture would fetch it from the running server,
# but its LazySchema sets `node._nodeid`, which pytest 9 no longer has.)
OPENAPI = create_app(Settings(_env_file=None, index_dir="unused-index", embedder="fake", admin_key=ADMIN_KEY)).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def _build_index(root) -> Settings:
    """A private index of the sample corpus: the fuzzer writes to it through the admin routes."""
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    fuzz = Settings(index_dir=root / "index", corpus_dir=corpus, embedder="fake", embedding_cache=root / "cache.sqlite",
                    refuse_threshold=0.3, admin_key=ADMIN_KEY, widget_rate_per_minute=0, refresh_seconds=0)
    Components.load(fuzz, create=True).ingestor().run([corpus])
    return fuzz


@pytest.fixture(scope="module")
def fuzz_url(tmp_path_factory):
    with running_app(_build_index(tmp_path_factory.mktemp("fuzz"))) as url:
        yield url


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def _validate(case, response, **kwargs) -> None:
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    excluded = NOT_STATABLE.get((case.operation.method.upper(), case.operation.path), [])
    case.validate_response(response, excluded_checks=excluded, **kwargs)


def test_server_serves_the_fuzzed_schema(fuzz_url, http):
    assert http.get(f"{fuzz_url}/openapi.json", timeout=10).json() == OPENAPI
    assert any(path.startswith(ADMIN_PREFIX) for path in OPENAPI["paths"])  # the admin routes are fuzzed too


@schema.parametrize()
@FUZZ
def test_every_operation_conforms_without_admin_key(case, fuzz_url, http):
    """Anonymous callers get documented answers only; the admin routes turn them away whatever the input."""
    response = case.call(base_url=fuzz_url, session=http, timeout=60)
    # (the coverage phase also sends methods a path does not take: 405 is right for those)
    if case.path.startswith(ADMIN_PREFIX) and case.method.upper() == case.operation.method.upper():
        assert response.status_code == 401, (case.method, case.path, response.text[:200])
    _validate(case, response)


@schema.include(path_regex=f"^{ADMIN_PREFIX}").parametrize()
@FUZZ
def test_admin_operations_conform_with_key(case, fuzz_url, http):
    """With the key the admin routes see the fuzzer's uploads, ids and bodies: documented 2xx/4xx only."""
    auth = {"X-Admin-Key": ADMIN_KEY}
    _validate(case, case.call(base_url=fuzz_url, session=http, timeout=60, headers=auth), headers=auth)


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream", "/api/search"])
def test_widget_refusal_is_documented(fuzz_url, http, path):
    """A browser on a foreign origin is refused by the widget access rules with a documented 403."""
    body = {"query": "干部补贴"} if path == "/api/search" else {"question": "乡镇干部补贴比县直机关高多少？"}
    case = schema[path]["POST"].Case(body=body, media_type="application/json")
    hostile = {"Origin": "https://evil.example"}
    response = case.call(base_url=fuzz_url, session=http, timeout=30, headers=hostile)
    assert response.status_code == 403 and "未获授权" in response.json()["detail"]
    case.validate_response(response, headers=hostile)


def test_admin_patch_with_malformed_body_and_no_key_is_refused(fuzz_url):
    response = httpx.patch(f"{fuzz_url}/api/documents/any.md", content=b"{not json",
                           headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 401
