"""The SSRF guard of every URL the service fetches or calls (input images, videos, webhooks):
non-public addresses in every spelling, other schemes and credentials are refused before any
connection (fetching itself, redirects and size caps: test_inputs.py)."""

from __future__ import annotations

import pytest

from reelgate.errors import ValidationError
from reelgate_flows.inputs import check_url

REFUSED = [
    "http://127.0.0.1/a.png",
    "http://localhost/a.png",
    "http://127.1/a.png",
    "http://10.1.2.3/a.png",
    "http://172.16.5.4/a.png",
    "http://172.31.255.1/a.png",
    "http://192.168.1.1/a.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/a.png",
    "http://[fc00::1]/a.png",
    "http://[fd12:3456::1]/a.png",
    "http://[fe80::1]/a.png",
    "http://[::ffff:127.0.0.1]/a.png",
    "http://[::ffff:10.0.0.1]/",
    "http://2130706433/a.png",
    "http://0177.0.0.1/a.png",
    "http://0x7f.0.0.1/a.png",
    "http://0.0.0.0/a.png",
    "http://224.0.0.1/a.png",
    "http://100.64.0.1/a.png",
    # IPv6 forms that embed (and, through a relay or translator, reach) an IPv4 address
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[::a00:1]/",  # IPv4-compatible 10.0.0.1
]


@pytest.mark.parametrize("url", REFUSED)
async def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="non-public address"):
        await check_url(url, "input_image_url", allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "//example.com/a.png",
    ],
)
async def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        await check_url(url, "input_image_url", allow_private=False)


async def test_credentials_in_urls_are_refused() -> None:
    with pytest.raises(ValidationError, match="credentials"):
        await check_url("http://user:pw@example.com/a.png", "input_image_url", False)
