"""The ``reelgate`` entry point of reelgate-local: the model is declared at once; PyAV and
NumPy (in :mod:`reelgate_local.plugin`) are imported on the first provider call."""

from __future__ import annotations

from reelgate.deferred import DeferredPlugin
from reelgate_local.spec import LOCAL_MODEL

plugin = DeferredPlugin(
    "reelgate_local.plugin",
    models=[LOCAL_MODEL],
    hooks=(
        "reelgate_generate",
        "reelgate_generate_from_image",
        "reelgate_extend",
        "reelgate_poll",
        "reelgate_download",
        "reelgate_cancel",
    ),
)
