"""Request inputs fetched by URL: size caps, type sniffing, refusal of non-public addresses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reelgate.errors import TooLargeError, ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.testing import make_png
from reelgate.testing.media import sample_mp4
from reelgate_flows.flows import extend_video, generate_video
from reelgate_flows.inputs import fetch, sniff_image_type, sniff_video_type
from tests.support import probe_mp4

FILES: dict[str, tuple[int, bytes]] = {}
HOSTS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        HOSTS.append(self.headers.get("Host", ""))
        if self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        if self.path.startswith("/redirect-to-"):
            self.send_response(302)
            target = self.path.removeprefix("/redirect-to-")
            self.send_header("Location", target if target.startswith("http") else f"/{target}")
            self.end_headers()
            return
        status, body = FILES.get(self.path, (404, b"missing"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def private_urls_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGATE_ALLOW_PRIVATE_URLS", "true")


def test_types_are_read_from_the_bytes() -> None:
    assert sniff_image_type(make_png()) == "image/png"
    assert sniff_image_type(b"\xff\xd8\xff\xe0" + b"0" * 20) == "image/jpeg"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"<svg xmlns=...>") is None
    assert sniff_video_type(b"\x00\x00\x00\x18ftypisom") == "video/mp4"
    assert sniff_video_type(b"\x1a\x45\xdf\xa3....") == "video/webm"


async def test_loopback_urls_are_refused_by_default(server: str) -> None:
    FILES["/a.png"] = (200, make_png())
    with pytest.raises(ValidationError, match="non-public address"):
        await fetch(
            f"{server}/a.png",
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=False,
            allow_local_files=False,
        )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.png", "gopher://x", "/etc/passwd"]
)
async def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        await fetch(
            url,
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=False,
            allow_local_files=False,
        )


async def test_the_size_cap_holds_while_streaming(server: str) -> None:
    FILES["/big.png"] = (200, make_png() + b"\0" * 50_000)
    with pytest.raises(TooLargeError):
        await fetch(
            f"{server}/big.png",
            field="input_image_url",
            max_bytes=10_000,
            timeout_seconds=5,
            allow_private=True,
            allow_local_files=False,
        )


async def test_http_errors_are_clear_400s(server: str) -> None:
    with pytest.raises(ValidationError, match="HTTP 404"):
        await fetch(
            f"{server}/nothing.png",
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=True,
            allow_local_files=False,
        )


async def test_image_to_video_from_a_url_through_a_redirect(
    server: str, private_urls_allowed: None
) -> None:
    FILES["/first.png"] = (200, make_png(120, 120, (250, 200, 0)))
    request = GenerateRequest.model_validate(
        {
            "prompt": "sunflower",
            "customer_id": "acme-3",
            "input_image_url": f"{server}/redirect-to-first.png",
            "settings": {
                "video": {
                    "model": "local",
                    "duration_seconds": 1,
                    "resolution": "360p",
                    "aspect_ratio": "1:1",
                }
            },
        }
    )
    envelope = await generate_video(request)
    path = Path(envelope["data"]["video_url"].removeprefix("file://"))
    assert probe_mp4(path)["width"] == 360


async def test_a_non_image_url_is_a_400(server: str, private_urls_allowed: None) -> None:
    FILES["/page.png"] = (200, b"<html>not an image</html>")
    request = GenerateRequest.model_validate(
        {
            "prompt": "x",
            "customer_id": "acme-3",
            "input_image_url": f"{server}/page.png",
            "settings": {"video": {"model": "local", "duration_seconds": 1}},
        }
    )
    with pytest.raises(ValidationError, match="not a PNG"):
        await generate_video(request)


async def test_extend_a_video_given_by_url(server: str, private_urls_allowed: None) -> None:
    first = await generate_video(
        GenerateRequest.model_validate(
            {
                "prompt": "waves",
                "customer_id": "acme-3",
                "settings": {
                    "video": {"model": "local", "duration_seconds": 1, "resolution": "360p"}
                },
            }
        )
    )
    FILES["/clip.mp4"] = (
        200,
        Path(first["data"]["video_url"].removeprefix("file://")).read_bytes(),
    )
    envelope = await extend_video(
        ExtendRequest.model_validate(
            {
                "prompt": "more waves",
                "customer_id": "acme-3",
                "video_id": f"{server}/clip.mp4",
                "settings": {"video": {"model": "local", "duration_seconds": 1}},
            }
        )
    )
    path = Path(envelope["data"]["video_url"].removeprefix("file://"))
    assert probe_mp4(path)["frames"] == 48


async def test_the_request_reaches_the_checked_address_with_the_original_host(
    server: str,
) -> None:
    from reelgate_flows.inputs import check_url

    port = server.rsplit(":", 1)[1]
    FILES["/pinned.png"] = (200, make_png())
    checked = await check_url(f"http://localhost:{port}/pinned.png", "input_image_url", True)
    assert checked.url.startswith(("http://127.0.0.1:", "http://[::1]:"))
    assert checked.headers == {"Host": f"localhost:{port}"}
    HOSTS.clear()
    data = await fetch(
        f"http://localhost:{port}/pinned.png",
        field="input_image_url",
        max_bytes=10**6,
        timeout_seconds=5,
        allow_private=True,
        allow_local_files=False,
    )
    assert data == make_png() and [f"localhost:{port}"] == HOSTS


async def test_a_redirect_to_another_scheme_is_refused(server: str) -> None:
    with pytest.raises(ValidationError, match="non-http"):
        await fetch(
            f"{server}/to-file",
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=True,
            allow_local_files=False,
        )


async def test_a_redirect_from_an_allowed_host_to_a_forbidden_one_is_refused(
    server: str,
) -> None:
    port = server.rsplit(":", 1)[1]
    FILES["/ok.png"] = (200, make_png())
    allowed = frozenset({"localhost"})
    data = await fetch(
        f"http://localhost:{port}/ok.png",
        field="input_image_url",
        max_bytes=10**6,
        timeout_seconds=5,
        allow_private=allowed,
        allow_local_files=False,
    )
    assert data == make_png()
    with pytest.raises(ValidationError, match="non-public address"):
        await fetch(
            f"http://localhost:{port}/redirect-to-http://127.0.0.1:{port}/ok.png",
            field="input_image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=allowed,
            allow_local_files=False,
        )


async def test_a_cut_short_video_to_extend_is_a_400(
    server: str, private_urls_allowed: None
) -> None:
    whole = sample_mp4(2)
    FILES["/cut.mp4"] = (200, whole[: len(whole) // 2])
    with pytest.raises(ValidationError, match="not lead to a playable video: the video is cut"):
        await extend_video(
            ExtendRequest.model_validate(
                {
                    "prompt": "more waves",
                    "customer_id": "acme-3",
                    "video_id": f"{server}/cut.mp4",
                    "settings": {"video": {"model": "local", "duration_seconds": 1}},
                }
            )
        )
