"""The ``reelgate`` entry point of reelgate-local: the model is declared at once; PyAV and
NumPy (in :mod:`reelgate_local.plugin`) are imported on the first provider call."""

from __future__ import annotations

from reelgate.deferred import DeferredPlugin
from reelgate_local.spec import LOCAL_MODEL

plugin = DeferredPlugin("reelgate_local.plugin", models=[LOCAL_MODEL])
