"""Complete request bodies, as the API documents them (the OpenAPI examples)."""

from __future__ import annotations

from typing import Any

GENERATE_EXAMPLE: dict[str, Any] = {
    "prompt": "A paper lantern drifting over a night lake, slow dolly in",
    "settings": {
        "video": {
            "model": "veo-3.1-fast",
            "duration_seconds": 8,
            "aspect_ratio": "16:9",
            "enhance_prompt": True,
            "number_of_videos": 1,
            "resolution": "720p",
            "generate_audio": True,
        }
    },
    "customer_id": "acme-42",
    "input_image_url": None,
    "save_to_db": True,
}
"""A complete body, as the API documents it."""
EXTEND_EXAMPLE: dict[str, Any] = {
    **GENERATE_EXAMPLE,
    "prompt": "The lantern rises into the clouds",
    "video_id": "6f1c2a8e-4b7d-4f3e-9a61-0c2d5e8b9f10",
}
