"""reelgate's HTTP API and ``reelgate`` command line.

Importing this package first imports ``reelgate_flows``, which applies reelgate's lean Prefect
defaults before any module of this package imports Prefect.
"""

import reelgate_flows  # noqa: F401
