"""The ``reelgate`` entry point of reelgate-kling: the models are declared at once; httpx and PyJWT
(in :mod:`reelgate_kling.plugin`) is imported on the first provider call."""

from __future__ import annotations

from reelgate.deferred import DeferredPlugin
from reelgate_kling.spec import MODELS

plugin = DeferredPlugin("reelgate_kling.plugin", models=MODELS)
