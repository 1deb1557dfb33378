"""Fetching a policy from a web address, against a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clauseclf import cli
from clauseclf.errors import EncodingError, FetchError
from clauseclf.fetch import fetch_document, is_url

POLICY_HTML = (
    "<html><body><h2>Disputes</h2><p>Any dispute with Fernwick will be resolved by binding "
    "arbitration.</p><p>Fernwick sells your personal data to data brokers.</p></body></html>"
)
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/terms.html": (200, {"Content-Type": "text/html; charset=utf-8"}, POLICY_HTML.encode()),
    "/old-terms": (302, {"Location": "/terms.html"}, b""),
    "/cafe.txt": (
        200,
        {"Content-Type": "text/plain; charset=windows-1252"},
        "Caf\u00e9 terms: we sell your data.".encode("cp1252"),
    ),
    "/undeclared.txt": (
        200,
        {"Content-Type": "text/plain"},
        ("Vos donn\u00e9es sont trait\u00e9es \u00e0 des fins de s\u00e9curit\u00e9. " * 9).encode(
            "cp1252"
        ),
    ),
    "/logo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
    "/huge.txt": (200, {"Content-Type": "text/plain"}, b"We sell data. " * 1000),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(2)
        status, headers, body = ROUTES.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_is_url():
    assert is_url("https://example.com/terms") and is_url("HTTP://example.com")
    assert not is_url("terms.txt") and not is_url("ftp://example.com/x") and not is_url("https:/x")


def test_redirects_are_followed_and_the_final_address_kept(server):
    fetched = fetch_document(f"{server}/old-terms")
    assert fetched.url == f"{server}/old-terms"
    assert fetched.final_url == f"{server}/terms.html"
    assert fetched.text == POLICY_HTML and fetched.format == "html"
    assert fetched.content_type == "text/html"


def test_the_declared_charset_decodes(server):
    fetched = fetch_document(f"{server}/cafe.txt")
    assert fetched.text == "Caf\u00e9 terms: we sell your data." and fetched.format == "text"


def test_an_undeclared_legacy_charset_names_the_encoding(server):
    with pytest.raises(EncodingError, match="pass encoding='cp1252'"):
        fetch_document(f"{server}/undeclared.txt")
    assert "trait\u00e9es" in fetch_document(f"{server}/undeclared.txt", encoding="cp1252").text


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/logo.png", {}, "serves image/png, not a policy document"),
        ("/huge.txt", {"max_bytes": 1000}, r"too large \(0\.0 MB; the limit is 0\.0 MB\)"),
        ("/gone", {}, "could not fetch {url}: HTTP 404"),
        ("/slow", {"timeout": 0.3}, r"could not fetch {url}: no answer within 0\.3 s"),
    ],
)
def test_failures_name_the_address(server, path, kwargs, message):
    url = f"{server}{path}"
    with pytest.raises(FetchError, match=message.format(url=url)) as info:
        fetch_document(url, **kwargs)
    assert url in str(info.value)


def test_offline_shows_the_address_unmangled():
    url = "https://no-such-host.invalid/terms?lang=en&v=2"
    with pytest.raises(FetchError) as info:
        fetch_document(url, timeout=5)
    assert str(info.value).startswith(f"could not fetch {url}: ")


def test_cli_analyze_fetches_and_records_the_final_address(server, tiny_model, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    assert cli.main(["analyze", f"{server}/old-terms", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == f"{server}/terms.html"
    assert report["format"] == "html" and len(report["clauses"]) >= 2
    assert cli.main(["segment", f"{server}/terms.html", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "html"


def test_cli_errors_show_the_address_and_the_option(server, capsys):
    url = "https://no-such-host.invalid/terms"
    assert cli.main(["analyze", url]) == 1
    assert f"clauseclf: error: could not fetch {url}: " in capsys.readouterr().err
    assert cli.main(["analyze", f"{server}/undeclared.txt"]) == 1
    assert "pass --encoding cp1252" in capsys.readouterr().err
