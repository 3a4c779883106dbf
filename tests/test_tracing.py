"""OpenTelemetry traces (:mod:`reelgate_flows.tracing`): one trace per job, from the HTTP
request that admitted it (its ``traceparent``) through the run's steps to its webhook, with the
GenAI conventions' attributes; exported over OTLP/HTTP as the ``OTEL_*`` variables say, and
off (the SDK never touched) when they say nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from reelgate.requests import GenerateRequest
from reelgate.testing import FakeProvider, request_body
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings
from reelgate_flows import tracing
from reelgate_flows.flows import generate_video
from tests.otlp_receiver import OtlpReceiver
from tests.test_api_server import SECRET, Receiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
STEPS = {
    "reelgate.admit",
    "reelgate.job",
    "reelgate.submit",
    "reelgate.poll",
    "reelgate.download",
    "reelgate.store",
}


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.forget()


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_a_job_is_one_trace_from_the_http_request_to_its_webhook(
    exported: InMemorySpanExporter, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELGATE_ALLOW_PRIVATE_URLS", "true")
    receiver = Receiver(failures=0)
    app = create_app(ApiSettings(webhook_secret=SECRET))
    with (
        BackgroundServer(receiver.app()) as hooks,
        BackgroundServer(app, lifespan="on", start_timeout_seconds=120) as api,
    ):
        body = request_body("a traced kite", customer_id="traced", model="fake", duration_seconds=1)
        accepted = httpx.post(
            f"{api.url}/video/jobs",
            json={**body, "webhook_url": f"{hooks.url}/hook"},
            headers={"traceparent": CALLER},
            timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 60
        while not receiver.deliveries and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the webhook's span ends once its answer is read
    spans = exported.get_finished_spans()
    named = by_name(spans)
    assert STEPS | {"reelgate.webhook"} <= set(named), sorted(named)
    assert {format(s.context.trace_id, "032x") for s in spans} == {TRACE_ID}
    admit, job, submit = named["reelgate.admit"], named["reelgate.job"], named["reelgate.submit"]
    assert admit.parent is not None and format(admit.parent.span_id, "016x") == CALLER[36:52]
    assert job.parent is not None and job.parent.span_id == admit.context.span_id
    for step in ("reelgate.submit", "reelgate.poll", "reelgate.download", "reelgate.store"):
        parent = named[step].parent
        assert parent is not None and parent.span_id == job.context.span_id, step
    job_id = accepted.json()["data"]["job_id"]
    submitted = dict(submit.attributes or {})
    assert submitted.pop("reelgate.provider_job_id")  # the fake's job id, whatever it is
    assert submitted == {"gen_ai.provider.name": "fake", "gen_ai.request.model": "fake"}
    attributes: dict[str, Any] = dict(job.attributes or {})
    assert attributes["gen_ai.operation.name"] == "generate_content"
    assert attributes["reelgate.job_id"] == job_id
    assert attributes["reelgate.customer_id"] == "traced"
    assert attributes["reelgate.duration_seconds"] == 1
    assert attributes["reelgate.billed"] == "true"
    assert attributes["gen_ai.provider.name"] == "fake"
    download = dict(named["reelgate.download"].attributes or {})
    assert download["reelgate.width"] > 0 and download["reelgate.video_seconds"] > 0
    assert dict(named["reelgate.webhook"].attributes or {})["reelgate.delivered"] is True


async def test_a_failed_job_says_whether_it_was_billed(
    exported: InMemorySpanExporter, fake: FakeProvider
) -> None:
    request = GenerateRequest.model_validate(
        request_body("a forbidden scene", customer_id="traced", model="fake", duration_seconds=1)
    )
    with pytest.raises(Exception, match=r"forbidden|rejected|content"):
        await generate_video(request)
    named = by_name(exported.get_finished_spans())
    job = dict(named["reelgate.job"].attributes or {})
    assert job["reelgate.billed"] == "false"
    assert named["reelgate.job"].status.status_code.name == "ERROR"
    assert "reelgate.admit" in named  # the run admitted it itself (no API did)


async def test_spans_reach_an_otlp_http_receiver_as_the_otel_variables_say(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OtlpReceiver() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "reelgate-under-test")
        tracing.forget()
        try:
            request = GenerateRequest.model_validate(
                request_body(
                    "an exported kite", customer_id="otlp", model="fake", duration_seconds=1
                )
            )
            await generate_video(request)
            tracing.flush()
        finally:
            tracing.forget()
    names = {span["name"] for span in collector.spans}
    assert names >= STEPS, names
    assert {span["resource"]["service.name"] for span in collector.spans} == {"reelgate-under-test"}
    assert len({span["trace_id"] for span in collector.spans}) == 1


def test_tracing_is_off_unless_configured() -> None:
    assert not tracing.configured({})
    assert tracing.configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318"})
    assert not tracing.configured(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}
    )
    assert not tracing.configured(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"}
    )
    tracing.forget()
    assert not tracing.enabled()
    with tracing.span("reelgate.admit", **{"reelgate.job_id": "x"}) as span:
        assert span is tracing.NO_SPAN
    assert tracing.traceparent() is None


async def test_a_storyboards_shots_are_children_of_its_span(
    exported: InMemorySpanExporter, fake: FakeProvider
) -> None:
    from reelgate.storyboards import StoryboardRequest
    from reelgate_flows.storyboard import generate_storyboard

    video = {"model": "fake", "duration_seconds": 1, "aspect_ratio": "16:9"}
    request = StoryboardRequest.model_validate(
        {
            "customer_id": "traced-board",
            "continuity": "cut",
            "shots": [{"prompt": "a fox"}, {"prompt": "a hare"}],
            "settings": {"video": video},
        }
    )
    await generate_storyboard(request)
    spans = exported.get_finished_spans()
    board = by_name(spans)["reelgate.storyboard"]
    jobs = [span for span in spans if span.name == "reelgate.job"]
    assert len(jobs) == 2
    for job in jobs:
        assert job.parent is not None and job.parent.span_id == board.context.span_id
    assert {span.context.trace_id for span in spans} == {board.context.trace_id}
