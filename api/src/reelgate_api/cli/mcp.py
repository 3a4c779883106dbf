"""``reelgate mcp``: the video tools served to an MCP client over stdin/stdout. Jobs run in
this process (on the embedded Prefect API) or, with ``--service-url`` or
``REELGATE_SERVICE_URL``, on that reelgate server with ``REELGATE_API_KEY``. Stdout carries
only the protocol; anything else goes to stderr."""

from __future__ import annotations

import argparse
import asyncio

from reelgate_flows.embedded_api import own_prefect_api


def run_mcp(args: argparse.Namespace) -> int:
    from reelgate_api.settings import ApiSettings

    settings = ApiSettings.current()
    url = args.service_url or settings.service_url
    if url is None:
        own_prefect_api()  # before Prefect is imported, as every in-process command
    from reelgate_api.http.mcp import run_stdio
    from reelgate_api.service.service import VideoGenerationService
    from reelgate_api.service.tools import VideoTools

    async def serve() -> None:
        service = (
            VideoGenerationService.remote(url, settings.api_key)
            if url
            else VideoGenerationService.in_process()
        )
        async with service:
            await run_stdio(VideoTools(service, customer_id=args.customer))

    asyncio.run(serve())
    return 0
