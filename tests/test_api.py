"""The HTTP API under Litestar's async test client: the seed's endpoints and statuses, async
jobs, models and health, with flows running on the job runner's own loop."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from reelgate.errors import ProviderError
from reelgate.jobs import Failed, JobError, JobKind, Running
from reelgate.requests import ExtendRequest, GenerateRequest
from reelgate.specs import Capabilities
from reelgate.testing import FakeProvider, request_body
from reelgate.testing.fake import FAKE_MODEL
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from tests.support import probe_mp4


@pytest.fixture
async def client(fake: FakeProvider) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(
        ApiSettings(sync_timeout_seconds=60, max_running_jobs=4, max_body_bytes=64 * 1024)
    )
    async with AsyncTestClient(app=app, timeout=120) as test_client:
        yield test_client


def body(model: str = "local", **video: Any) -> dict[str, Any]:
    video = {"duration_seconds": 1, **video}
    return request_body("a lighthouse at dusk", customer_id="api-1", model=model, **video)


async def test_generate_answers_the_seed_envelope_with_a_served_url(
    client: AsyncTestClient[Any],
) -> None:
    response = await client.post(
        "/video/generate", json=body(resolution="360p", aspect_ratio="16:9")
    )
    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["success"] is True and envelope["code"] == 200
    data = envelope["data"]
    assert {
        "video_url",
        "provider",
        "model",
        "duration",
        "settings",
        "job_id",
        "provider_video_id",
    } <= set(data)
    assert data["video_url"].startswith(f"{client.base_url}/files/customers/api-1/")
    video = await client.get(data["video_url"].removeprefix(str(client.base_url)))
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"


async def test_the_served_file_is_playable(client: AsyncTestClient[Any], tmp_path: Any) -> None:
    response = await client.post("/video/generate", json=body(resolution="360p"))
    url = response.json()["data"]["video_url"].removeprefix(str(client.base_url))
    path = tmp_path / "served.mp4"
    path.write_bytes((await client.get(url)).content)
    assert probe_mp4(path)["frames"] == 24


@pytest.mark.parametrize(
    ("payload", "error_type"),
    [
        ({**body(), "prompt": ""}, "validation_error"),
        ({**body(), "customer_id": "../x"}, "validation_error"),
        (body(duration_seconds=0), "validation_error"),
        (body(aspect_ratio="4:3"), "validation_error"),
        ({**body(), "surprise": 1}, "validation_error"),
        ({**body(), "save_to_db": "perhaps"}, "validation_error"),
        (body(model="lokal"), "unknown_model"),
        (body(model="kling"), "provider_not_configured"),
    ],
)
async def test_bad_requests_are_400s(
    client: AsyncTestClient[Any], payload: dict[str, Any], error_type: str
) -> None:
    response = await client.post("/video/generate", json=payload)
    assert response.status_code == 400, response.text
    envelope = response.json()
    assert envelope == {"success": False, "code": 400, "error": envelope["error"]}
    assert envelope["error"]["type"] == error_type and envelope["error"]["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe"])
async def test_malformed_bodies_are_400s(client: AsyncTestClient[Any], raw: bytes) -> None:
    response = await client.post(
        "/video/generate", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["type"] == ("validation_error")


async def test_a_huge_body_is_refused_without_a_500(client: AsyncTestClient[Any]) -> None:
    response = await client.post("/video/generate", json={**body(), "prompt": "x" * 200_000})
    assert response.status_code == 413 and response.json()["success"] is False


async def test_extend_on_a_provider_without_it_is_501(
    client: AsyncTestClient[Any], use_runtime: Any
) -> None:
    use_runtime(
        (
            "fake",
            FakeProvider(
                spec=FAKE_MODEL.model_copy(
                    update={
                        "capabilities": Capabilities(
                            kinds=frozenset({JobKind.TEXT}), durations=(1,)
                        )
                    }
                )
            ),
        )
    )
    response = await client.post("/video/extend", json={**body("fake"), "video_id": "v-1"})
    assert response.status_code == 501 and response.json()["error"]["type"] == ("not_implemented")


async def test_a_provider_failure_is_502(client: AsyncTestClient[Any], fake: FakeProvider) -> None:
    fake.poll_script = [
        Failed(error=JobError(error_class=ProviderError, message="melted", provider_code="E42"))
    ]
    response = await client.post("/video/generate", json=body("fake"))
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["type"] == "provider_error" and error["provider_code"] == "E42"


async def test_an_unexpected_failure_is_500_without_internals(
    client: AsyncTestClient[Any], fake: FakeProvider
) -> None:
    fake.submit_errors = [RuntimeError("/srv/secret/path password=hunter2")]
    response = await client.post("/video/generate", json=body("fake"))
    assert response.status_code == 500
    assert "hunter2" not in response.text and response.json()["error"]["type"] == ("internal_error")


async def test_a_slow_sync_request_becomes_202_and_the_job_goes_on(
    fake: FakeProvider,
) -> None:
    fake.poll_script = [Running(progress=0.5, poll_after_seconds=0.2)] * 8
    app = create_app(ApiSettings(sync_timeout_seconds=0.5, max_running_jobs=2))
    async with AsyncTestClient(app=app, timeout=120) as client:
        response = await client.post("/video/generate", json=body("fake"))
        assert response.status_code == 202, response.text
        data = response.json()["data"]
        assert data["status_url"].endswith(f"/video/jobs/{data['job_id']}")
        for _ in range(200):
            job = (await client.get(f"/video/jobs/{data['job_id']}")).json()
            if job["status"] == "succeeded":
                break
            await asyncio.sleep(0.1)
        assert job["success"] is True and job["data"]["job_id"] == data["job_id"]
    assert fake.submissions == 1


async def test_async_jobs_are_accepted_and_finish(
    client: AsyncTestClient[Any], fake: FakeProvider
) -> None:
    accepted = await client.post("/video/jobs", json=body("fake"))
    assert accepted.status_code == 202
    job_id = accepted.json()["data"]["job_id"]
    for _ in range(200):
        job = (await client.get(f"/video/jobs/{job_id}")).json()
        if job["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "succeeded" and job["data"]["provider"] == "fake"
    assert job["provider"] == "fake"
    missing = await client.get("/video/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"


async def test_a_failed_async_job_reports_its_error(
    client: AsyncTestClient[Any], fake: FakeProvider
) -> None:
    fake.poll_errors = [ProviderError("boom", provider_code="B1")]
    accepted = await client.post("/video/jobs", json=body("fake"))
    job_id = accepted.json()["data"]["job_id"]
    for _ in range(200):
        job = (await client.get(f"/video/jobs/{job_id}")).json()
        if job["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "failed" and job["error"]["provider_code"] == "B1"


async def test_models_and_health(client: AsyncTestClient[Any]) -> None:
    models = (await client.get("/video/models")).json()
    assert {"local", "fake", "veo-3.1-fast"} <= {m["id"] for m in models["models"]}
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    escape = await client.get("/files/customers/..%2F..%2F..%2F..%2Fetc%2Fpasswd")
    assert escape.status_code == 404 and escape.json()["error"]["type"] == "not_found"
    assert "root:" not in escape.text


async def test_idempotency_keys_return_the_same_job_and_refuse_another_body(
    client: AsyncTestClient[Any], fake: FakeProvider
) -> None:
    headers = {"Idempotency-Key": "order-7"}
    first = await client.post("/video/jobs", json=body("fake"), headers=headers)
    again = await client.post("/video/jobs", json=body("fake"), headers=headers)
    assert first.status_code == again.status_code == 202
    job_id = first.json()["data"]["job_id"]
    assert again.json()["data"]["job_id"] == job_id
    sync = await client.post("/video/generate", json=body("fake"), headers=headers)
    assert sync.status_code == 200 and sync.json()["data"]["job_id"] == job_id
    other = await client.post("/video/jobs", json=body("fake", duration_seconds=2), headers=headers)
    assert other.status_code == 409 and other.json()["error"]["type"] == "conflict"
    assert fake.submissions == 1


async def test_api_keys_guard_every_video_endpoint(fake: FakeProvider) -> None:
    keys = '{"key-acme": ["acme"], "key-ops": "*"}'
    app = create_app(ApiSettings(api_keys=keys, sync_timeout_seconds=60))
    acme = {**body("fake"), "customer_id": "acme"}
    async with AsyncTestClient(app=app, timeout=120) as client:
        assert (await client.post("/video/jobs", json=acme)).status_code == 401
        for bad in (b"", b"{not json", b'{"prompt": 3}'):  # the key is checked before the body
            keyless = await client.post(
                "/video/generate", content=bad, headers={"content-type": "application/json"}
            )
            assert keyless.status_code == 401, keyless.text
        wrong = await client.post(
            "/video/jobs", json=acme, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "unauthorized"
        other = await client.post(
            "/video/jobs", json={**acme, "customer_id": "globex"}, headers={"X-API-Key": "key-acme"}
        )
        assert other.status_code == 403 and other.json()["error"]["type"] == "forbidden"
        accepted = await client.post(
            "/video/jobs", json=acme, headers={"Authorization": "Bearer key-acme"}
        )
        assert accepted.status_code == 202
        job_url = f"/video/jobs/{accepted.json()['data']['job_id']}"
        globex_job = await client.post(
            "/video/jobs",
            json={**acme, "customer_id": "globex"},
            headers={"Authorization": "Bearer key-ops"},
        )
        assert globex_job.status_code == 202
        peek = await client.get(
            f"/video/jobs/{globex_job.json()['data']['job_id']}",
            headers={"Authorization": "Bearer key-acme"},
        )
        unknown = await client.get(
            "/video/jobs/00000000-0000-4000-8000-000000000000",
            headers={"Authorization": "Bearer key-acme"},
        )
        assert peek.status_code == unknown.status_code == 404  # another's job: as unknown
        assert (await client.get(job_url)).status_code == 401
        assert (await client.get(job_url, headers={"X-API-Key": "key-acme"})).status_code == 200
        assert (await client.get("/video/models")).status_code == 401
        assert (await client.get("/healthz")).status_code == 200


async def test_cancel_stops_the_job_and_cancels_at_the_provider(
    client: AsyncTestClient[Any], fake: FakeProvider
) -> None:
    fake.poll_script = [Running(progress=0.1, poll_after_seconds=0.1)] * 10_000
    accepted = await client.post("/video/jobs", json=body("fake"))
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["data"]["job_id"]
    for _ in range(300):
        if fake.polls >= 2:
            break
        await asyncio.sleep(0.05)
    cancelled = await client.delete(f"/video/jobs/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert fake.cancelled == {fake.submitted_jobs[0].provider_job_id}
    job = (await client.get(f"/video/jobs/{job_id}")).json()
    assert job["status"] == "cancelled"
    again = await client.delete(f"/video/jobs/{job_id}")
    assert again.status_code == 409 and again.json()["error"]["type"] == "conflict"
    unknown = await client.delete("/video/jobs/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404


async def test_a_storage_failure_is_502_and_says_where_the_video_is_kept(
    s3_env: str, client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``s3_env`` comes first: the app is built with its storage URL."""
    from tests.support import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    response = await client.post("/video/generate", json=body(resolution="360p"))
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["type"] == "storage_error" and error["spool_path"] in error["message"]


async def test_the_openapi_schema_documents_the_seed_bodies(client: AsyncTestClient[Any]) -> None:
    """The bodies' schemas are generated from the request models, with their examples."""
    schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]

    def body_schema(path: str) -> dict[str, Any]:
        ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return components[ref["schema"]["$ref"].rsplit("/", 1)[1]]

    generate, extend = body_schema("/video/generate"), body_schema("/video/extend")
    GenerateRequest.model_validate(generate["examples"][0])
    ExtendRequest.model_validate(extend["examples"][0])
    assert set(GenerateRequest.model_fields) == set(generate["properties"])
    assert set(extend["required"]) == {"prompt", "customer_id", "video_id"}
    jobs = schema["paths"]["/video/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert len(jobs["schema"]["oneOf"]) == 2
    assert "/video/jobs/{job_id}/events" in schema["paths"]


async def test_an_empty_body_is_a_400_that_says_so(client: AsyncTestClient[Any]) -> None:
    for path in ("/video/generate", "/video/jobs"):
        answer = await client.post(path, content=b"", headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"] == "the request body is empty: send a JSON object"


async def test_an_inline_answer_over_http_is_the_playable_data_uri(
    client: AsyncTestClient[Any], tmp_path: Any
) -> None:
    answer = await client.post("/video/generate", json={**body(), "save_to_db": False})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    uri = data["video_url"]
    assert uri.startswith("data:video/mp4;base64,") and "/inline/" in data["storage_key"]
    path = tmp_path / "inline.mp4"
    path.write_bytes(base64.b64decode(uri.partition(",")[2]))
    assert probe_mp4(path)["frames"] == 24
    status = (await client.get(f"/video/jobs/{data['job_id']}")).json()
    assert status["data"]["video_url"] == uri
