"""Testing helpers for provider plugins: the conformance suite, a fake provider, test media.

``from reelgate.testing import ProviderConformance`` and subclass it in a plugin's tests.
The conformance suite needs pytest; it is imported only when asked for, so the fake provider
and the media helpers work without pytest installed.
"""

from typing import TYPE_CHECKING, Any

from reelgate.testing.builders import make_request, request_body
from reelgate.testing.calls import download_now, poll_until_done, submit_now
from reelgate.testing.fake import FakeProvider
from reelgate.testing.media import clip, make_png, minimal_mp4

if TYPE_CHECKING:
    from reelgate.testing.conformance import ProviderConformance


def __getattr__(name: str) -> Any:
    if name == "ProviderConformance":
        from reelgate.testing.conformance import ProviderConformance

        return ProviderConformance
    raise AttributeError(name)


__all__ = [
    "FakeProvider",
    "ProviderConformance",
    "clip",
    "download_now",
    "make_png",
    "make_request",
    "minimal_mp4",
    "poll_until_done",
    "request_body",
    "submit_now",
]
