"""Errors read as sentences a user can act on."""

from __future__ import annotations

import pytest

from reelgate.errors import UnknownModelError, ValidationError
from reelgate.requests import GenerateRequest, request_from_body
from reelgate.runtimes import get_runtime
from reelgate_flows.admission import RUN_WORKER
from reelgate_flows.flows import generate_video


def local(**video: object) -> GenerateRequest:
    body = {"prompt": "x", "customer_id": "a", "settings": {"video": {"model": "local", **video}}}
    return GenerateRequest.model_validate(body)


@pytest.mark.parametrize(
    ("video", "says"),
    [
        ({"duration_seconds": 45}, "duration_seconds 45 is not supported by model 'local'; "
         "choose 1-30 s"),
        ({"aspect_ratio": "2:1"}, "choose one of 16:9, 9:16 or 1:1"),
    ],
)  # fmt: skip
def test_a_setting_the_model_lacks_names_what_it_offers(
    video: dict[str, object], says: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        get_runtime().prepare(local(**video))
    assert says in caught.value.message and "[" not in caught.value.message


def test_a_bad_field_reads_without_pydantic_prefixes() -> None:
    with pytest.raises(ValidationError) as caught:
        request_from_body({"prompt": "x", "customer_id": "no spaces allowed"})
    assert caught.value.message.startswith("invalid request: customer_id: customer_id must be")
    assert "Value error" not in caught.value.message


async def test_a_worker_lacking_a_model_says_it_is_this_workers_lack() -> None:
    token = RUN_WORKER.set("w-east")
    try:
        with pytest.raises(UnknownModelError) as caught:
            await generate_video(local().with_model("acme-video-9"))
    finally:
        RUN_WORKER.reset(token)
    message = caught.value.message
    assert message.startswith("worker w-east lacks model 'acme-video-9'")
    assert "install its plugin where this worker runs" in message and "restart" in message
