"""The ``reelgate`` entry point of reelgate-sora: the models are declared at once; the openai SDK
(in :mod:`reelgate_sora.plugin`) is imported on the first provider call."""

from __future__ import annotations

from reelgate.deferred import DeferredPlugin
from reelgate_sora.spec import MODELS

plugin = DeferredPlugin("reelgate_sora.plugin", models=MODELS)
