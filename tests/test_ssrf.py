"""The SSRF guard of every URL the service fetches or calls (input images, videos, webhooks):
non-public addresses in every spelling, other schemes, credentials, redirects, and a request
that reaches the checked address itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from reelgate.errors import TooLargeError, ValidationError
from reelgate.testing import make_png
from reelgate_flows.inputs import check_url, fetch

REFUSED = [
    "http://127.0.0.1/a.png",
    "http://localhost/a.png",
    "http://127.1/a.png",
    "http://10.1.2.3/a.png",
    "http://172.16.5.4/a.png",
    "http://172.31.255.1/a.png",
    "http://192.168.1.1/a.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/a.png",
    "http://[fc00::1]/a.png",
    "http://[fd12:3456::1]/a.png",
    "http://[fe80::1]/a.png",
    "http://[::ffff:127.0.0.1]/a.png",
    "http://[::ffff:10.0.0.1]/",
    "http://2130706433/a.png",
    "http://0177.0.0.1/a.png",
    "http://0x7f.0.0.1/a.png",
    "http://0.0.0.0/a.png",
    "http://224.0.0.1/a.png",
    "http://100.64.0.1/a.png",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="non-public address"):
        await check_url(url, "input_image_url", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "//example.com/a.png",
    ],
)
async def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        await check_url(url, "input_image_url", allow_private=False)


async def test_credentials_in_urls_are_refused() -> None:
    with pytest.raises(ValidationError, match="credentials"):
        await check_url("http://user:pw@example.com/a.png", "input_image_url", False)


class Handler(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Handler.hosts.append(self.headers.get("Host", ""))
        if self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        body = make_png() if self.path == "/a.png" else b"\0" * 300_000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


async def test_the_request_reaches_the_checked_address_with_the_original_host(
    port: int,
) -> None:
    checked = await check_url(f"http://localhost:{port}/a.png", "input_image_url", True)
    assert checked.url.startswith(("http://127.0.0.1:", "http://[::1]:"))
    assert checked.headers == {"Host": f"localhost:{port}"}
    Handler.hosts.clear()
    data = await fetch(
        f"http://localhost:{port}/a.png",
        field="input_image_url",
        max_bytes=10**6,
        timeout_seconds=5,
        allow_private=True,
        allow_local_files=False,
    )
    assert data == make_png() and Handler.hosts == [f"localhost:{port}"]


async def test_a_redirect_to_another_scheme_and_an_oversized_body_are_refused(
    port: int,
) -> None:
    with pytest.raises(ValidationError, match="non-http"):
        await fetch(
            f"http://127.0.0.1:{port}/to-file",
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=True,
            allow_local_files=False,
        )
    with pytest.raises(TooLargeError):
        await fetch(
            f"http://127.0.0.1:{port}/big",
            field="input_image_url",
            max_bytes=100_000,
            timeout_seconds=5,
            allow_private=True,
            allow_local_files=False,
        )
