"""reelgate's Prefect flows and video storage.

Importing this package applies reelgate's lean Prefect defaults (only where the environment
does not set them) before Prefect is imported by its submodules.
"""

from reelgate.runtime import set_runtime_factory
from reelgate_flows.prefect_env import apply_prefect_defaults
from reelgate_flows.settings import Settings

apply_prefect_defaults()
set_runtime_factory(lambda: Settings.current().runtime())
