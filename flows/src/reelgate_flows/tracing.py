"""OpenTelemetry traces of jobs: one trace per job, from the HTTP request that admitted it to
its webhook, across processes.

Off unless configured by the standard variables: ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (OTLP over HTTP/protobuf), with ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_EXPORTER_OTLP_HEADERS`` and the other ``OTEL_*`` settings
the SDK reads; ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` keep it off. When
off, :func:`span` is a context manager that does nothing and the SDK is never imported.

Spans: ``reelgate.admit``, ``reelgate.job`` (a run, under the admission's span),
``reelgate.submit``, ``reelgate.poll``, ``reelgate.download`` (with its media check),
``reelgate.store`` and ``reelgate.webhook``, with the GenAI conventions' ``gen_ai.*``
attributes where they fit and ``reelgate.*`` ones for the rest. The admission's context is kept
in the job's record as a W3C ``traceparent``; a run continues it wherever it runs.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

TRACER_NAME = "reelgate"
_state: dict[str, Any] = {"checked": False, "tracer": None, "provider": None}
_lock = threading.Lock()


class _NoSpan:
    """What :func:`span` yields when tracing is off."""

    def set_attribute(self, key: str, value: Any) -> None:
        return None

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        return None


NO_SPAN = _NoSpan()


def configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for traces (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def install(provider: Any) -> None:
    """Trace with ``provider`` (an SDK ``TracerProvider``; None: tracing off), whatever the
    environment says: for embedding applications and tests."""
    with _lock:
        _state.update(
            checked=True,
            provider=provider,
            tracer=None if provider is None else provider.get_tracer(TRACER_NAME),
        )


def forget() -> None:
    """Forget what was installed: the environment is read again at the next span."""
    with _lock:
        _state.update(checked=False, provider=None, tracer=None)


def _tracer() -> Any:
    if not _state["checked"]:
        with _lock:
            if not _state["checked"]:
                _state["checked"] = True
                if configured():
                    _install_otlp()
    return _state["tracer"]


def _install_otlp() -> None:
    """The SDK with an OTLP/HTTP exporter, as the ``OTEL_*`` variables configure them."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    atexit.register(provider.shutdown)
    _state.update(provider=provider, tracer=provider.get_tracer(TRACER_NAME))


def enabled() -> bool:
    return _tracer() is not None


def flush(timeout_millis: int = 10_000) -> None:
    """Export what is buffered (before a process ends, or in a test)."""
    provider = _state["provider"]
    if provider is not None:
        provider.force_flush(timeout_millis)


@contextmanager
def span(name: str, parent: str | None = None, **attributes: Any) -> Iterator[Any]:
    """A span ``name`` for the block, a child of the current span, or of ``parent`` (a W3C
    ``traceparent``) when given; attributes that are None are left out. An exception leaving
    the block is recorded on it."""
    tracer = _tracer()
    if tracer is None:
        yield NO_SPAN
        return
    context = _context_of(parent) if parent else None
    kept = {key: value for key, value in attributes.items() if value is not None}
    with tracer.start_as_current_span(name, context=context, attributes=kept) as current:
        yield current


def record_span(name: str, started_ns: int, parent: str | None = None, **attributes: Any) -> None:
    """A span ``name`` that began at ``started_ns`` (``time.time_ns()``) and ends now, for work
    timed before its trace was known."""
    tracer = _tracer()
    if tracer is None:
        return
    kept = {key: value for key, value in attributes.items() if value is not None}
    context = _context_of(parent) if parent else None
    done = tracer.start_span(name, context=context, attributes=kept, start_time=started_ns)
    done.end(end_time=time.time_ns())


def traceparent() -> str | None:
    """The current span's context as a W3C ``traceparent`` (None when tracing is off)."""
    if _tracer() is None:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


def _context_of(parent: str) -> Any:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract({"traceparent": parent})
