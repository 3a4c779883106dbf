"""reelgate's Prefect flows and video storage.

Importing this package changes no environment variable: an entry point (the ``reelgate``
command, the tests' conftest, a bench) calls
:func:`~reelgate_flows.prefect_env.apply_prefect_defaults` before Prefect is first imported.
It only installs how the process builds its provider runtime: from :class:`Settings`.
"""

from reelgate.runtimes import set_runtime_factory
from reelgate_flows.settings import Settings

set_runtime_factory(lambda: Settings.current().runtime())
