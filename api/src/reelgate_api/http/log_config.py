"""How the HTTP API logs: warnings and errors from every library, and reelgate's own INFO
lines (what it uses, what it refused). Without this, Litestar sets the root logger to INFO and
every internal Prefect HTTP call prints a line (139 of 239 lines of a short session)."""

from __future__ import annotations

import logging

from litestar.logging import LoggingConfig

OWN_LOGGERS = ("reelgate", "reelgate_api", "reelgate_flows")
"""The packages whose INFO lines are shown."""


def quiet_logging(level: str = "WARNING") -> LoggingConfig:
    """Root at ``level`` (WARNING unless the user asks for more); reelgate's packages at INFO.
    Their loggers are set here rather than in the configuration, which would reset their
    children (and the handlers a test or an embedding application put there)."""
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    return LoggingConfig(
        root={"handlers": ["queue_listener"], "level": level},
        loggers={"litestar": {"level": level, "handlers": ["queue_listener"], "propagate": False}},
    )
