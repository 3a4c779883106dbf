"""Where finished videos go: a local folder, S3, or an inline data URI."""

from reelgate_flows.storage.base import Storage, StoredObject
from reelgate_flows.storage.factory import storage_from_url
from reelgate_flows.storage.keys import preview_key, video_key

__all__ = ["Storage", "StoredObject", "preview_key", "storage_from_url", "video_key"]
