"""The web playground in a real browser: Debian's Chromium driven by Playwright against the API
under uvicorn on loopback. Generate with the local provider (progress, then a video that plays
for its length), a validation error in words, cancel, extend, and a server with API keys.
A screenshot of the finished page is written to ``test-artifacts/`` (not committed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelgate.jobs import Running
from reelgate.testing import FakeProvider
from reelgate.testing.emulator import BackgroundServer
from reelgate_api.http.app import create_app
from reelgate_api.settings import ApiSettings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)"
    ),
    pytest.mark.timeout(180),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def serve(**settings: Any) -> BackgroundServer:
    return BackgroundServer(
        create_app(ApiSettings(**settings)), lifespan="on", start_timeout_seconds=60
    )


def open_page(browser: Any, url: str) -> Any:
    """The playground on a phone-width screen. The page's Content-Security-Policy forbids
    eval, which Playwright's waits use: the test context bypasses it (the policy itself is
    checked by ``test_the_page_is_served_with_a_strict_content_security_policy``)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    return page


def test_the_page_is_served_with_a_strict_content_security_policy(fake: FakeProvider) -> None:
    import httpx

    with serve() as server:
        page = httpx.get(f"{server.url}/", timeout=30)
        script = httpx.get(f"{server.url}/playground/app.js", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy
    assert script.status_code == 200 and "fetch(" in script.text


def job_ended(page: Any, timeout: float = 60_000) -> str:
    page.wait_for_function(
        "['succeeded', 'ended', 'refused'].includes(document.body.dataset.jobState)",
        timeout=timeout,
    )
    return str(page.evaluate("document.body.dataset.jobState"))


def test_generate_shows_progress_and_plays_the_video(browser: Any, fake: FakeProvider) -> None:
    with serve() as server:
        page = open_page(browser, server.url)
        statuses: list[str] = []
        page.on("console", lambda message: statuses.append(message.text))
        page.get_by_label("Prompt").fill("a paper lantern over a lake")
        page.get_by_label("Model").select_option("local")
        page.get_by_label("Duration (s)").select_option("2")
        page.get_by_label("Resolution").select_option("360p")
        page.get_by_role("button", name="Generate").click()
        page.wait_for_function("document.getElementById('status').textContent.length > 0")
        seen = page.evaluate("document.getElementById('status').textContent")
        assert job_ended(page) == "succeeded", page.locator("#error").text_content()
        page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=30_000)
        duration = page.evaluate("document.getElementById('video').duration")
        assert duration == pytest.approx(2.0, abs=0.1)
        assert "succeeded" in page.locator("#status").text_content()
        assert seen  # a status event arrived before the result
        assert page.locator("#history li").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)

        page.get_by_label("Continue this video").fill("the lantern rises")
        page.get_by_role("button", name="Extend").click()
        page.wait_for_function("document.body.dataset.jobState === 'running'")
        assert job_ended(page) == "succeeded"
        page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=30_000)
        assert page.locator("#history li").count() == 2

        page.reload()  # the history outlives the page and re-opens a job
        page.locator("#history li button").last.click()
        assert job_ended(page) == "succeeded"


def test_a_storyboard_plays_its_shots_as_one_video_with_a_thumbnail(
    browser: Any, fake: FakeProvider
) -> None:
    with serve() as server:
        page = open_page(browser, server.url)
        page.get_by_label("Model").select_option("local")
        page.get_by_label("Duration (s)").select_option("1")
        page.get_by_label("Resolution").select_option("360p")
        page.get_by_label("Shots, one per line").fill("a kite rises\nit climbs\nit lands")
        page.get_by_label("Continuity").select_option("last_frame")
        page.get_by_role("button", name="Make storyboard").click()
        assert job_ended(page) == "succeeded", page.locator("#storyboard-error").text_content()
        page.wait_for_function("document.getElementById('video').readyState >= 2", timeout=30_000)
        assert page.evaluate("document.getElementById('video').duration") == pytest.approx(
            3.0, abs=0.1
        )
        page.wait_for_function("document.querySelector('#history img.thumbnail') !== null")


def test_a_refused_request_is_shown_in_words(browser: Any, fake: FakeProvider) -> None:
    with serve() as server:
        page = open_page(browser, server.url)
        page.get_by_label("Prompt").fill("x")
        page.get_by_label("Customer id").fill("../not a customer")
        page.get_by_label("Model").select_option("local")
        assert page.get_by_label("Duration (s)").input_value() == "5", "the API's default"
        assert page.get_by_label("Aspect ratio").input_value() == "9:16", "the API's default"
        page.get_by_role("button", name="Generate").click()
        assert job_ended(page) == "refused"
        beside = page.locator("#form-error")
        assert "customer_id" in beside.text_content() and beside.is_visible()
        assert "Value error" not in beside.text_content(), "no Pydantic prefixes"
        assert page.locator("#job").is_hidden(), "not inside a job's panel"
        assert fake.submissions == 0


def test_cancel_stops_a_running_job(browser: Any, fake: FakeProvider) -> None:
    fake.poll_script = [Running(progress=0.3, poll_after_seconds=0.1)] * 10_000
    with serve() as server:
        page = open_page(browser, server.url)
        page.get_by_label("Prompt").fill("a slow one")
        page.get_by_label("Model").select_option("fake")
        page.get_by_role("button", name="Generate").click()
        page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('running')", timeout=30_000
        )
        for _ in range(300):  # until the provider is being polled
            if fake.polls >= 2:
                break
            page.wait_for_timeout(50)
        page.get_by_role("button", name="Cancel").click()
        assert job_ended(page) == "ended"
        assert "cancelled" in page.get_by_role("alert").text_content()
        assert len(fake.cancelled) == 1


def test_a_keyed_server_needs_the_key(browser: Any, fake: FakeProvider) -> None:
    with serve(api_keys=json.dumps({"key-play": ["playground"]})) as server:
        page = open_page(browser, server.url)
        assert "API key" in page.get_by_role("alert").text_content()  # models refused: 401
        page.locator("summary").click()
        page.get_by_label("API key (kept in this browser tab only)").fill("key-play")
        page.get_by_label("API key (kept in this browser tab only)").press("Enter")
        page.get_by_label("Model").select_option("local")
        page.get_by_label("Prompt").fill("with a key")
        page.get_by_role("button", name="Generate").click()
        assert job_ended(page) == "succeeded", page.locator("#error").text_content()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.reload()
        assert all("key-play" not in url for url in requests)  # never in a URL


def test_every_control_is_labelled_and_the_page_works_from_the_keyboard(
    browser: Any, fake: FakeProvider
) -> None:
    with serve() as server:
        page = open_page(browser, server.url)
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter((e) => e.labels.length === 0).map((e) => e.id)"
        )
        assert unlabelled == []
        page.get_by_label("Prompt").focus()
        page.keyboard.type("typed, never clicked")
        page.get_by_label("Model").focus()
        page.keyboard.type("local")  # a select's type-ahead picks the option
        assert page.get_by_label("Model").input_value() == "local"
        for _ in range(30):  # Tab to the Generate button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "submit":
                break
        assert page.evaluate("document.activeElement.id") == "submit"
        page.keyboard.press("Enter")
        assert job_ended(page) == "succeeded", page.locator("#error").text_content()


def test_no_page_of_the_playground_can_be_framed(browser: Any, fake: FakeProvider) -> None:
    """Chromium refuses to show any playground page inside another page's frame."""
    with serve() as server:
        page = browser.new_context().new_page()
        for path in ("/", "/playground/index.html"):
            page.set_content(f'<iframe src="{server.url}{path}"></iframe>')
            page.wait_for_timeout(1500)
            (framed,) = [frame for frame in page.frames if frame != page.main_frame]
            assert framed.query_selector("#submit") is None, f"{path} was shown in a frame"
