"""Models that retire (:mod:`reelgate.lifecycle`), shown with the Sora shutdown: the operator
sets OpenAI's dates over the sora plugin's model (``REELGATE_MODEL_LIFECYCLE``). A deprecated
model still runs and says so in the envelope, the headers and the log; a retired one answers
410 naming its successor, or a route moves to the successor; ``reelgate models`` shows the
dates."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from rich.console import Console
from sora_emulator import SoraEmulator
from vertex_emulator import VertexEmulator

from reelgate.errors import ValidationError
from reelgate.lifecycle import parse_lifecycles
from reelgate.runtime import Runtime
from reelgate.testing import request_body
from reelgate_api.cli.models import print_models
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings

TODAY = datetime.datetime.now(datetime.UTC).date()
SHUTDOWN = datetime.date(2026, 9, 24)


def days(offset: int) -> str:
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


class Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


Install = Callable[[dict[str, Any]], Runtime]


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch, use_runtime: Any) -> Install:
    def install(dates: dict[str, Any]) -> Runtime:
        monkeypatch.setenv("REELGATE_MODEL_LIFECYCLE", json.dumps(dates))
        monkeypatch.setenv("REELGATE_ROUTES", json.dumps({"house-video": ["sora-2"]}))
        runtime: Runtime = use_runtime()
        return runtime

    return install


@pytest.fixture
async def client(lifecycle: Install) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        yield client


def sora_body(model: str = "sora-2") -> dict[str, Any]:
    return request_body("a lighthouse", customer_id="lifecycle", model=model, duration_seconds=8)


async def test_a_deprecated_model_runs_and_says_so_three_ways(
    lifecycle: Install,
    sora: SoraEmulator,
) -> None:
    lifecycle(
        {"sora-2": {"deprecated_on": days(-30), "retires_on": days(60), "successor": "veo-3.1"}}
    )
    seen = Seen()
    logging.getLogger("reelgate.flows").addHandler(seen)
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        answer = await client.post("/video/generate", json=sora_body())
        assert answer.status_code == 200, answer.text
        warnings = answer.json()["data"]["warnings"]
        assert sora.submissions == 1
        queued = await client.post("/video/jobs", json=sora_body())
    assert warnings == [
        {
            "type": "model_deprecated",
            "message": f"model 'sora-2' is deprecated since {days(-30)} and retires on "
            f"{days(60)}; move to 'veo-3.1'",
            "model": "sora-2",
            "deprecated_on": days(-30),
            "retires_on": days(60),
            "successor": "veo-3.1",
        }
    ]
    for headers in (answer.headers, queued.headers):
        since = datetime.datetime.combine(TODAY - datetime.timedelta(30), datetime.time())
        assert headers["deprecation"] == f"@{int(since.replace(tzinfo=datetime.UTC).timestamp())}"
        assert headers["sunset"].endswith("00:00:00 GMT")
        assert 'rel="successor-version"; title="veo-3.1"' in headers["link"]
    assert queued.status_code == 202, queued.text
    logging.getLogger("reelgate.flows").removeHandler(seen)
    logged = [line for line in seen.lines if "deprecated" in line]
    assert logged and "customer lifecycle: model 'sora-2' is deprecated" in logged[0]


async def test_an_active_model_answers_as_before(
    client: AsyncTestClient[Any], sora: SoraEmulator
) -> None:
    answer = await client.post("/video/generate", json=sora_body())
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["warnings"] is None
    assert "deprecation" not in answer.headers and "sunset" not in answer.headers


async def test_the_sora_shutdown_answers_410_naming_the_successor_and_pays_nothing(
    lifecycle: Install, sora: SoraEmulator, vertex: VertexEmulator
) -> None:
    lifecycle(
        {
            "sora-2": {
                "deprecated_on": "2026-03-24",
                "retires_on": SHUTDOWN.isoformat(),
                "successor": "veo-3.1-fast",
            }
        }
    )
    async with AsyncTestClient(app=create_app(ApiSettings()), timeout=120) as client:
        direct = await client.post("/video/generate", json=sora_body())
        v1 = await client.post(
            "/v1/videos", json={"model": "sora-2", "prompt": "a lighthouse", "seconds": "8"}
        )
        routed = await client.post("/video/generate", json=sora_body("house-video"))
        fallback = await client.post(
            "/video/generate",
            json=request_body(
                "a lighthouse",
                customer_id="lifecycle",
                model="sora-2",
                duration_seconds=8,
                fallback_models=["sora-2-pro"],
            ),
        )
    assert direct.status_code == 410, direct.text
    assert direct.json()["error"] == {
        "type": "model_retired",
        "message": "model 'sora-2' was retired on 2026-09-24; use 'veo-3.1-fast'",
        "model": "sora-2",
        "retired_on": "2026-09-24",
        "successor": "veo-3.1-fast",
    }
    assert v1.status_code == 410 and "veo-3.1-fast" in v1.json()["error"]["message"]
    assert routed.status_code == 200, routed.text
    assert routed.json()["data"]["model"] == "veo-3.1-fast"  # the route moved
    assert fallback.status_code == 200, fallback.text
    assert fallback.json()["data"]["model"] == "veo-3.1-fast"  # the successor, in sora-2's place
    assert (sora.submissions, vertex.submissions) == (0, 2)


def test_reelgate_models_shows_the_dates(lifecycle: Install) -> None:
    runtime = lifecycle(
        {
            "sora-2": {
                "deprecated_on": "2026-03-24",
                "retires_on": "2026-09-24",
                "successor": "veo-3.1",
            }
        }
    )
    console = Console(width=80, record=True)
    print_models(runtime, console)
    shown = console.export_text()
    block = shown[shown.index("sora-2 ·") : shown.index("sora-2-pro ·")]
    assert "  lifecycle: deprecated 2026-03-24 · retired 2026-09-24 · successor veo-3.1\n" in block
    assert "lifecycle" not in shown[shown.index("veo-3.1 ·") :].split("lost create")[0]


def test_bad_dates_fail_at_start_naming_the_model() -> None:
    with pytest.raises(ValidationError, match=r"sora-2\.retires_on"):
        parse_lifecycles(json.dumps({"sora-2": {"retires_on": "soon"}}))
    with pytest.raises(ValidationError, match="not JSON"):
        parse_lifecycles("{")
