"""The ``reelgate`` entry point of reelgate-veo: the models are declared at once; google-genai
(in :mod:`reelgate_veo.plugin`) is imported on the first provider call."""

from __future__ import annotations

from reelgate.deferred import DeferredPlugin
from reelgate_veo.spec import MODELS

plugin = DeferredPlugin("reelgate_veo.plugin", models=MODELS)
