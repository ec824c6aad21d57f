"""A real server (uvicorn on 127.0.0.1, a free port) over the seed index, a
local copy of the seed article's published page, and headless Debian
Chromium driven by Playwright."""

from __future__ import annotations

import html
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from markdown_it import MarkdownIt
from pydantic import SecretStr

from api.app import create_app
from qa.ingest.articles import Article, read_article
from qa.runtime import build_index
from qa.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
SEED_ARTICLE = ROOT / "tests" / "fixtures" / "seed" / "alauda-chenkai-interview.md"


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    reason = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (or `make install-test`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must have it", pytrace=False)
    pytest.skip(reason)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_ready(base_url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} was not ready within {timeout:.0f} s")


@contextmanager
def _serving(settings: Settings) -> Iterator[str]:
    """The real app over `settings`' index, served by uvicorn in a thread; its base URL."""
    sock = _free_socket()
    config = uvicorn.Config(create_app(settings), log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        _wait_ready(base_url)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def live_server(seed_settings: Settings) -> Iterator[str]:
    """The real app over the seed index; its base URL."""
    _require_chromium()
    with _serving(seed_settings) as base_url:
        yield base_url


EDITORS_TOKEN = "browser-test-editors-token"


@pytest.fixture
def logging_server(seed_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """The real app over the seed index with its own question log and the
    editors' page on (token EDITORS_TOKEN); its base URL and settings."""
    _require_chromium()
    settings = seed_settings.model_copy(update={"question_log": tmp_path / "questions.sqlite3",
                                                "editors_token": SecretStr(EDITORS_TOKEN)})
    with _serving(settings) as base_url:
        yield base_url, settings


def _page_server(page: str, path: str | None = None) -> ThreadingHTTPServer:
    """Serves the HTML `page` at `path` (at every path when None); anything else is a 404."""
    body = page.encode()

    class OnePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if path is not None and self.path.split("?")[0] != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # keep the test output quiet
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), OnePage)


@contextmanager
def _running(server: ThreadingHTTPServer) -> Iterator[str]:
    """The server serving in a thread; its base URL. Shut down on the way out."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def other_origin(live_server: str) -> Iterator[str]:
    """A site on another origin (a second HTTP server, another port) whose page
    embeds the widget from the live server; that server has no cors_origins."""
    server = _page_server('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>elsewhere</title>'
                          f'<script src="{live_server}/static/widget.js"></script>')
    with _running(server) as base_url:
        yield base_url


# The published page's own highlight of a text fragment's match: a colour no
# other part of the page uses, so that a screenshot shows whether it is there.
TARGET_TEXT_COLOUR = (255, 0, 255)


def published_page(article: Article) -> str:
    """The article as its site would publish it: the body rendered by
    markdown-it-py under a masthead a screen tall, so that everything after
    the first paragraphs is far below the fold."""
    body = MarkdownIt("commonmark").render(article.body)
    red, green, blue = TARGET_TEXT_COLOUR
    return ('<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
            f"<title>{html.escape(article.title)}</title>"
            "<style>body{margin:0;font:18px/1.8 sans-serif} header{min-height:100vh;background:#eef}"
            "article{max-width:40em;margin:0 auto;padding:1em} img{display:none}"
            f"::target-text{{background-color:rgb({red},{green},{blue})}}</style>"
            f"<header><h1>{html.escape(article.title)}</h1></header><article>{body}</article>")


@pytest.fixture(scope="session")
def article_site() -> Iterator[str]:
    """A local copy of the seed interview's published page, served at its
    permalink by a second HTTP server; the site's base URL."""
    article = read_article(SEED_ARTICLE, "http://127.0.0.1/")
    permalink = urlsplit(article.url or "").path
    with _running(_page_server(published_page(article), permalink)) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def cited_server(article_site: str, tmp_path_factory: pytest.TempPathFactory,
                 seed_cache: Path) -> Iterator[str]:
    """The real app over the seed interview indexed with `site_url` at the
    local site, so that its citations link there; its base URL."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("cited-index")
    settings = Settings(corpus_dir=SEED_ARTICLE.parent, index_dir=tmp / "index",
                        cache_dir=seed_cache, site_url=article_site,
                        question_log=tmp / "questions.sqlite3")
    build_index(settings)
    with _serving(settings) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Any]]:
    """Opens a page in a fresh browser context (desktop, zh-CN unless told);
    the contexts close after the test, whatever it asserted."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN",
                                         **options})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots go here (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
