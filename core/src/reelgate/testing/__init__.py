"""Testing helpers for provider plugins: the conformance suite, a fake provider, test media.

``from reelgate.testing import ProviderConformance`` and subclass it in a plugin's tests.
"""

from reelgate.testing.conformance import ProviderConformance
from reelgate.testing.fake import FakeProvider
from reelgate.testing.media import make_png, minimal_mp4

__all__ = ["FakeProvider", "ProviderConformance", "make_png", "minimal_mp4"]
