"""The one line each process prints at start: which Prefect API and which job records
database it uses (passwords hidden), and which provider plugins it loaded, so a process pointed
at the wrong place, or started before a plugin was installed, is seen at once."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from reelgate_flows.settings import Settings


def prefect_api_label(embedded: bool) -> str:
    """The Prefect API this process talks to (call once ``PREFECT_API_URL`` is settled)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if embedded:
        return f"the embedded Prefect API {url} (this process's own)"
    return f"the Prefect API {url}" if url else "no Prefect API"


def records_label(settings: Settings) -> str:
    """The job records database, its password hidden."""
    return make_url(settings.job_records_url()).render_as_string(hide_password=True)


def plugins_label() -> str:
    """The provider plugins this process loaded (it loads them once, at start)."""
    from reelgate.runtimes import get_runtime

    names = sorted(plugin.name for plugin in get_runtime().loaded.plugins)
    return f"plugins {', '.join(names) or 'none'} (restart to load one installed since)"


def uses_line(settings: Settings, embedded: bool) -> str:
    return (
        f"using {prefect_api_label(embedded)}; job records in {records_label(settings)}; "
        f"{plugins_label()}"
    )
