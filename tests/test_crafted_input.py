"""Crafted input through a real HTTP server never answers 500: deep JSON, odd video ids, null
bytes in paths, other spellings of job ids, loosely typed fields. Each is a clear 4xx, and a
cancellation that did not happen is never answered as done."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelgate.jobs import Running
from reelgate.testing import FakeProvider, request_body
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.cli.serve import uvicorn_options
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[httpx.Client]:
    settings = ApiSettings(sync_timeout_seconds=60)
    server = BackgroundServer(
        create_app(settings),
        start_timeout_seconds=120,
        **{**uvicorn_options(settings), "lifespan": "on"},
    )
    with server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def body(model: str = "fake", **fields: Any) -> dict[str, Any]:
    return request_body("a kite", customer_id="c-1", model=model, duration_seconds=1, **fields)


def nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_deep_json_is_a_400(api: httpx.Client) -> None:
    deep = "[" * 1000 + "]" * 1000
    raw = f'{{"prompt": "p", "customer_id": "c", "x": {deep}}}'
    answer = api.post("/video/jobs", content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "deeper" in answer.json()["error"]["message"]
    for depth, words in ((255, "deeper"), (10, "provider_options")):
        answer = api.post("/video/jobs", json=body(provider_options=nested(depth)))
        assert answer.status_code == 400 and words in answer.json()["error"]["message"]


@pytest.mark.parametrize("video_id", ["..-0", ".hidden-0", "../jobs/abc-0", "a/b-0"])
def test_odd_video_ids_are_refused_without_a_500(api: httpx.Client, video_id: str) -> None:
    answer = api.post(
        "/video/extend",
        json=request_body(
            "more",
            customer_id="c-1",
            model="local",
            duration_seconds=1,
            resolution="360p",
            video_id=video_id,
        ),
    )
    assert answer.status_code in (400, 404), answer.text
    assert answer.json()["success"] is False


def test_null_bytes_in_file_paths_are_404(api: httpx.Client) -> None:
    for path in ("/files/%00", "/files/customers/c-1/%00.mp4", "/files/..%2F..%2Fetc%2Fpasswd"):
        assert api.get(path).status_code == 404


def test_only_the_canonical_job_id_names_a_job(api: httpx.Client, fake: FakeProvider) -> None:
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.1)] * 50
    job_id = api.post("/video/jobs", json=body()).json()["data"]["job_id"]
    spellings = [
        job_id.upper(),
        job_id.replace("-", ""),
        "{" + job_id + "}",
        f"urn:uuid:{job_id}",
    ]
    for other in spellings:
        assert api.get(f"/video/jobs/{other}").status_code == 404
        cancelled = api.delete(f"/video/jobs/{other}")
        assert cancelled.status_code == 404 and "cancelled" not in cancelled.text
    assert fake.cancelled == set()
    assert api.get(f"/video/jobs/{job_id}").status_code == 200
    assert api.get(f"/video/jobs/{uuid.UUID(int=0)}").status_code == 404


@pytest.mark.parametrize(
    ("video", "field"),
    [
        ({"aspect_ratio": "16:9\n"}, "aspect_ratio"),
        ({"duration_seconds": "1"}, "duration_seconds"),
        ({"generate_audio": 0}, "generate_audio"),
    ],
)
def test_loosely_typed_fields_are_400s_naming_them(
    api: httpx.Client, video: dict[str, Any], field: str
) -> None:
    payload = {
        "prompt": "p",
        "customer_id": "c-1",
        "settings": {"video": {"model": "fake", **video}},
    }
    answer = api.post("/video/jobs", json=payload)
    assert answer.status_code == 400 and field in answer.json()["error"]["message"]
    typed = api.post("/video/jobs", json={**body(), "save_to_db": "false"})
    assert typed.status_code == 400 and "save_to_db" in typed.json()["error"]["message"]


def test_an_idempotency_key_of_a_megabyte_is_a_clear_400(api: httpx.Client) -> None:
    answer = api.post("/video/jobs", json=body(), headers={"Idempotency-Key": "k" * 1_000_000})
    assert answer.status_code == 400 and "255 characters" in answer.json()["error"]["message"]


def test_the_newer_faces_answer_crafted_input_without_a_500(api: httpx.Client) -> None:
    """/files, /v1 and /mcp: digits that are not ASCII, a form field sent twice, JSON nested
    1000 levels, and bodies over the limit are 4xx, each a clear error."""
    assert api.get("/files/customers/c-1/x.mp4?expires=²&signature=ab").status_code == 404
    v1 = {"X-Reelgate-Customer": "c-1"}
    seconds = api.post(
        "/v1/videos", json={"prompt": "p", "model": "fake", "seconds": "²"}, headers=v1
    )
    assert seconds.status_code == 400, seconds.text
    twice = api.post(
        "/v1/videos",
        files=[("prompt", (None, "p")), ("prompt[x]", (None, "q")), ("model", (None, "fake"))],
        headers=v1,
    )
    assert twice.status_code == 400 and "more than once" in twice.text
    deep = '{"prompt": "p", "x": ' + "[" * 1000 + "]" * 1000 + "}"
    json_headers = {**v1, "Content-Type": "application/json"}
    for path in ("/v1/videos", "/v1/videos/video_x/remix"):
        answer = api.post(path, content=deep, headers=json_headers)
        assert answer.status_code in (400, 404), (path, answer.text)
        assert answer.status_code == 400 or path.endswith("remix")
    mcp_headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    answer = api.post(
        "/mcp",
        content='{"jsonrpc": "2.0", "x": ' + "[" * 1000 + "]" * 1000 + "}",
        headers=mcp_headers,
    )
    assert answer.status_code == 400 and "deeper" in answer.text
    big = b'{"jsonrpc": "2.0", "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    answer = api.post("/mcp", content=big, headers=mcp_headers)
    assert answer.status_code == 413, answer.text


@pytest.fixture
def impatient(fake: FakeProvider) -> Iterator[str]:
    settings = ApiSettings(header_read_timeout_seconds=1, body_read_timeout_seconds=1)
    server = BackgroundServer(
        create_app(settings),
        start_timeout_seconds=120,
        **{**uvicorn_options(settings), "lifespan": "on"},
    )
    with server:
        yield server.url


def _socket_to(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    return connection


def test_slow_headers_and_slow_bodies_are_not_waited_for(impatient: str) -> None:
    with _socket_to(impatient) as dripping:
        dripping.sendall(b"POST /video/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        began = time.monotonic()
        assert dripping.recv(1024) == b"", "the connection is closed"
        assert time.monotonic() - began < 5
    with _socket_to(impatient) as slow:
        slow.sendall(
            b"POST /video/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt"'
        )
        answer = slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer


def test_a_client_gone_mid_body_is_one_info_line(
    impatient: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with _socket_to(impatient) as leaving:
        leaving.sendall(
            b"POST /video/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt"'
        )
        time.sleep(0.2)
    time.sleep(0.5)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert any("went away" in record.getMessage() for record in caplog.records)
