"""Tenancy through a real HTTP server: one customer never reaches another's jobs, videos,
idempotency keys or files; what is outside a caller's customers answers exactly like what does
not exist; browsers from other origins and crafted Host headers are refused."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from reelgate.testing import FakeProvider, request_body
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.http.file_urls import FileSigner
from reelgate_api.settings import ApiSettings

KEYS = {"key-a": ["100"], "key-b": ["200"]}
SECRET = "test-file-url-secret"
A = {"Authorization": "Bearer key-a"}
B = {"Authorization": "Bearer key-b"}


def serve(**settings: Any) -> Iterator[httpx.Client]:
    app = create_app(ApiSettings(sync_timeout_seconds=60, file_url_secret=SECRET, **settings))
    with (
        BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[httpx.Client]:
    yield from serve(api_keys=json.dumps(KEYS), cors_origins="https://app.example")


@pytest.fixture
def open_api(fake: FakeProvider) -> Iterator[httpx.Client]:
    yield from serve()


def body(customer: str, prompt: str = "a lantern", **fields: Any) -> dict[str, Any]:
    return request_body(prompt, customer_id=customer, model="fake", duration_seconds=1, **fields)


def generated(client: httpx.Client, customer: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.post("/video/generate", json=body(customer), headers=headers)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def without_ids(answer: httpx.Response, *ids: str) -> tuple[int, str]:
    text = answer.text
    for value in ids:
        text = text.replace(value, "<id>")
    return answer.status_code, text


def test_extend_never_reaches_another_customers_video(
    api: httpx.Client, fake: FakeProvider
) -> None:
    theirs = generated(api, "200", B)
    unknown_job = str(uuid.uuid4())
    for video_id in (theirs["job_id"], theirs["provider_video_id"]):
        answer = api.post("/video/extend", json=body("100", video_id=video_id), headers=A)
        unknown = unknown_job if video_id == theirs["job_id"] else "never-made-by-anyone"
        same = api.post("/video/extend", json=body("100", video_id=unknown), headers=A)
        if video_id == theirs["job_id"]:
            assert without_ids(answer, video_id) == without_ids(same, unknown)
        assert answer.status_code == 404 and answer.json()["error"]["type"] == "not_found"
    assert fake.submissions == 1 + 1  # theirs, and the never-made id passed to the provider
    own = api.post("/video/extend", json=body("200", video_id=theirs["job_id"]), headers=B)
    assert own.status_code == 200 and own.json()["data"]["customer_id"] == "200"


def test_on_an_open_server_customers_are_kept_apart_too(
    open_api: httpx.Client, fake: FakeProvider
) -> None:
    theirs = generated(open_api, "200", {})
    answer = open_api.post("/video/extend", json=body("100", video_id=theirs["job_id"]))
    assert answer.status_code == 404 and fake.submissions == 1


def test_idempotency_keys_belong_to_their_key_and_customer(api: httpx.Client) -> None:
    key = {"Idempotency-Key": "order-1"}
    first = api.post("/video/jobs", json=body("100"), headers={**A, **key})
    squat = api.post("/video/jobs", json=body("200", prompt="other"), headers={**B, **key})
    again = api.post("/video/jobs", json=body("100"), headers={**A, **key})
    assert first.status_code == squat.status_code == again.status_code == 202
    mine = first.json()["data"]["job_id"]
    assert again.json()["data"]["job_id"] == mine != squat.json()["data"]["job_id"]
    assert mine not in squat.text
    for bad in ("", "k" * 256):
        refused = api.post("/video/jobs", json=body("100"), headers={**A, "Idempotency-Key": bad})
        assert refused.status_code == 400 and "Idempotency-Key" in refused.text


def test_another_customers_job_answers_as_an_unknown_one(api: httpx.Client) -> None:
    theirs = api.post("/video/jobs", json=body("200"), headers=B).json()["data"]["job_id"]
    unknown = str(uuid.uuid4())
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/events")):
        foreign = api.request(method, f"/video/jobs/{theirs}{suffix}", headers=A)
        missing = api.request(method, f"/video/jobs/{unknown}{suffix}", headers=A)
        assert foreign.status_code == 404
        assert without_ids(foreign, theirs) == without_ids(missing, unknown)
    assert api.get(f"/video/jobs/{theirs}", headers=B).json()["status"] != "cancelled"


def test_a_list_cursor_of_another_customer_reads_as_an_unknown_one(api: httpx.Client) -> None:
    """``/v1/videos?after=`` another customer's id neither filters the caller's list nor tells
    when that video was made: it starts at the beginning, as an unknown id does."""
    theirs = generated(api, "200", B)["job_id"]  # older than mine: a cursor on it would hide them
    mine = [generated(api, "100", A)["job_id"] for _ in range(2)]
    pages = {
        after: api.get("/v1/videos", params={"after": after}, headers=A).json()
        for after in (theirs, str(uuid.uuid4()))
    }
    foreign, unknown = pages.values()
    assert foreign == unknown
    assert {video["id"] for video in foreign["data"]} >= set(mine)
    assert theirs not in json.dumps(foreign)


def test_files_are_served_to_signed_urls_and_their_customers_keys_only(
    api: httpx.Client,
) -> None:
    video_url = generated(api, "100", A)["video_url"]
    parts = urlsplit(video_url)
    assert api.get(f"{parts.path}?{parts.query}").status_code == 200  # as answered, no key
    assert api.get(parts.path).status_code == 404  # unsigned
    assert api.get(parts.path, headers=A).status_code == 200  # the customer's key
    assert api.get(parts.path, headers=B).status_code == 404  # another customer's key
    tampered = parts.query.replace("signature=", "signature=0")
    assert api.get(f"{parts.path}?{tampered}").status_code == 404
    key = parts.path.removeprefix("/files/")
    expired = FileSigner(SECRET.encode(), 60).url("", "/files", key, now=time.time() - 3600)
    assert api.get(expired).status_code == 404
    assert api.get("/files/%00customers", headers=A).status_code == 404
    theirs = urlsplit(generated(api, "200", B)["video_url"]).path.removeprefix("/files/")
    climbing = "/files/customers/100/..%2F..%2F" + theirs  # names customer 100, reaches 200
    assert api.get(climbing, headers=A).status_code == 404
    assert api.get(f"/files/{theirs}", headers=B).status_code == 200


def test_cross_site_requests_and_other_hosts_are_refused(open_api: httpx.Client) -> None:
    as_text = open_api.post(
        "/video/jobs",
        content=json.dumps(body("100")),
        headers={"Content-Type": "text/plain"},
    )
    assert (
        as_text.status_code == 415 and as_text.json()["error"]["type"] == "unsupported_media_type"
    )
    evil = open_api.post(
        "/video/jobs", json=body("100"), headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    own_origin = str(open_api.base_url).rstrip("/")
    same = open_api.post("/video/jobs", json=body("100"), headers={"Origin": own_origin})
    assert same.status_code == 202
    injected = open_api.post("/video/jobs", json=body("100"), headers={"Host": "evil.example"})
    assert injected.status_code == 400 and injected.json()["error"]["field"] == "Host"


def test_an_allowed_origin_may_call(api: httpx.Client) -> None:
    allowed = api.post(
        "/video/jobs", json=body("100"), headers={**A, "Origin": "https://app.example"}
    )
    assert allowed.status_code == 202


def test_urls_are_built_from_the_public_base_url(fake: FakeProvider) -> None:
    for client in serve(public_base_url="https://videos.example.com"):
        answer = client.post("/video/jobs", json=body("100"))
        assert answer.json()["data"]["status_url"].startswith("https://videos.example.com/")


def test_a_customer_named_by_a_json_number_is_checked_as_its_digits(api: httpx.Client) -> None:
    """Every face checks the parsed customer id: 200 (a number) is customer "200"."""
    for path in ("/video/generate", "/video/jobs", "/video/estimate"):
        answer = api.post(path, json={**body("x"), "customer_id": 200}, headers=A)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["type"] == "forbidden"
    mine = api.post("/video/estimate", json={**body("x"), "customer_id": 100}, headers=A)
    assert mine.status_code == 200, mine.text


def test_metrics_on_a_keyed_server_need_the_token_or_a_key_for_every_customer(
    fake: FakeProvider,
) -> None:
    keys = {**KEYS, "key-admin": ["*"]}
    for client in serve(api_keys=json.dumps(keys), metrics_token="scrape-me"):
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=A).status_code == 403
        for token in ("scrape-me", "key-admin"):
            answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and "reelgate_" in answer.text


def test_every_page_of_the_playground_forbids_framing(open_api: httpx.Client) -> None:
    for path in ("/", "/playground/index.html", "/playground/app.js"):
        answer = open_api.get(path)
        assert answer.status_code == 200, path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY"


def test_a_v1_video_size_is_always_width_by_height(open_api: httpx.Client) -> None:
    made = open_api.post("/v1/videos", json={"prompt": "p", "model": "fake", "seconds": "1"})
    assert made.status_code == 200, made.text
    assert re.fullmatch(r"[0-9]+x[0-9]+", made.json()["size"]), made.json()["size"]
