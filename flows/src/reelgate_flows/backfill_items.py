"""The items of a backfill: requests given as parameters or read from a JSONL or CSV file (a
local path, ``file://`` or ``s3://bucket/key``).

An item is a request body (DESIGN §4) with optional ``key`` (the item's identity across
re-runs) and ``video_id`` (an extend request). In CSV, the columns ``prompt``, ``customer_id``,
``save_to_db``, ``input_image_url``, ``video_id``, ``webhook_url`` and ``key`` are request
fields and every other column is a video setting (``model``, ``duration_seconds``, ...); empty
cells are left out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3

from reelgate.errors import ReelgateError, ValidationError
from reelgate.requests import ExtendRequest, GenerateRequest, request_from_body
from reelgate.runtimes import get_runtime

_REQUEST_COLUMNS = {
    "prompt",
    "customer_id",
    "save_to_db",
    "input_image_url",
    "video_id",
    "webhook_url",
    "key",
}


@dataclass(frozen=True)
class Item:
    """One backfill item: its position, its identity, and its request or why it is invalid."""

    index: int
    key: str
    request: GenerateRequest | None
    problem: str | None = None


def read_source(source: str) -> list[dict[str, Any]]:
    """The raw items of a JSONL or CSV file (by extension; ``.csv`` is CSV, anything else
    JSON Lines)."""
    text = _read_text(source)
    path = urlsplit(source).path if "://" in source else source
    if path.lower().endswith(".csv"):
        return [_csv_row(row) for row in csv.DictReader(io.StringIO(text))]
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{source} line {number} is not JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise ValidationError(f"{source} line {number} is not a JSON object")
        items.append(value)
    return items


def _read_text(source: str) -> str:
    parts = urlsplit(source)
    try:
        if parts.scheme == "s3":
            body = boto3.client("s3").get_object(Bucket=parts.netloc, Key=parts.path.lstrip("/"))
            return str(body["Body"].read().decode("utf-8"))
        local = unquote(parts.path) if parts.scheme == "file" else source
        return Path(local).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read backfill source {source}: {exc}") from exc
    except Exception as exc:  # botocore's errors have no common base worth importing
        raise ValidationError(f"cannot read backfill source {source}: {exc}") from exc


_TEXT_COLUMNS = {
    *_REQUEST_COLUMNS - {"save_to_db"},
    "model",
    "aspect_ratio",
    "resolution",
    "negative_prompt",
}


def _csv_value(column: str, cell: str) -> Any:
    """A cell as the JSON value it spells (numbers, true/false) unless its column is text."""
    if column in _TEXT_COLUMNS:
        return cell
    try:
        return json.loads(cell)
    except ValueError:
        return cell


def _csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    video: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or not cell.strip():
            continue
        name = column.strip()
        (item if name in _REQUEST_COLUMNS else video)[name] = _csv_value(name, cell.strip())
    if video:
        item["settings"] = {"video": video}
    return item


def parse_items(raw_items: list[dict[str, Any]], default_customer: str | None = None) -> list[Item]:
    """Check each raw item as every face checks a request (the request model, then
    ``Runtime.prepare``); an invalid one becomes an Item with its ``problem`` and never runs.
    An item that names no ``customer_id`` is ``default_customer``'s (when given). An item
    without ``key`` is identified by its content (and its occurrence among equal items)."""
    seen: Counter[str] = Counter()
    items = []
    for index, raw in enumerate(raw_items):
        body = {k: v for k, v in raw.items() if k != "key"}
        if default_customer and body.get("customer_id") in (None, ""):
            body["customer_id"] = default_customer
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
        seen[digest] += 1
        key = str(raw.get("key") or f"{digest}-{seen[digest]}")
        try:
            request = request_from_body(body)
            if not (isinstance(request, ExtendRequest) and request.model_from_job):
                get_runtime().prepare(request)
        except ReelgateError as exc:
            items.append(Item(index, key, None, exc.message))
            continue
        items.append(Item(index, key, request))
    return items


def outcome(item: Item, status: str, **fields: Any) -> dict[str, Any]:
    """One item's line of a backfill report."""
    return {"index": item.index, "key": item.key, "status": status, **fields}
