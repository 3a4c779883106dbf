"""Posters, thumbnails and sprite sheets of a video, made in its media check's decode pass.

With previews on, the check (:func:`~reelgate_flows.media_check.inspect_video`) decodes the
whole video once, in order (:func:`decode_through`), instead of only its first frame and
final group: every frame is then proven to decode. A :class:`PreviewMaker` is fed each frame
as it comes; it keeps a tile-sized copy of the frames at the sprite sheet's times and encodes
the poster (the frame at the middle of the video) and its thumbnail at once, so no decoded
full-size frame outlives the next one. The images are written beside the spool file, with a
manifest (``<video>.previews.json``) that the store step (and drain-spool) read.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from reelgate.envelope import SpriteGrid
from reelgate_flows.media_check import FullDecode, Scan, UnplayableVideo
from reelgate_flows.storage.keys import PREVIEW_SUFFIXES

KINDS = PREVIEW_SUFFIXES
"""Each preview and the suffix of its file in the spool (as in the storage)."""
MANIFEST_SUFFIX = ".previews.json"
THUMBNAIL_WIDTH = 320
JPEG_QUALITY = 85


@dataclass(frozen=True)
class SpriteSpec:
    """The sprite sheet's shape: ``tiles`` frames at even times, ``columns`` per row, each
    ``tile_width`` px wide (the height keeps the video's aspect)."""

    tiles: int = 10
    columns: int = 5
    tile_width: int = 160


def preview_paths(video: Path) -> dict[str, Path]:
    """Where the previews of the spooled ``video`` are written."""
    return {kind: video.with_suffix(suffix) for kind, suffix in KINDS.items()}


def read_manifest(video: Path) -> dict[str, Any] | None:
    """The previews made of the spooled ``video``: ``{"files": {kind: path}, "grid": {...}}``,
    or None when there are none (previews off, or made by an older check)."""
    try:
        manifest = json.loads(video.with_suffix(MANIFEST_SUFFIX).read_text())
    except (OSError, ValueError):
        return None
    files = {kind: Path(path) for kind, path in manifest["files"].items()}
    if not all(path.is_file() for path in files.values()):
        return None
    return {"files": files, "grid": manifest["grid"]}


def remove_previews(video: Path) -> None:
    """Remove the previews of the spooled ``video`` and their manifest."""
    for path in (*preview_paths(video).values(), video.with_suffix(MANIFEST_SUFFIX)):
        path.unlink(missing_ok=True)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


class PreviewMaker:
    """Fed every decoded frame of one video in order (:meth:`feed`), then :meth:`finish`."""

    def __init__(self, video: Path, spec: SpriteSpec) -> None:
        self.video, self.spec = video, spec
        self.paths = preview_paths(video)
        self.end_seconds = 0.0
        self.sheet: Image.Image | None = None
        self.tile_size = (0, 0)
        self.tiles_made = 0
        self.poster_made = False
        self.last: Any = None

    def start(self, end_seconds: float) -> None:
        """The video ends at ``end_seconds`` (where its last packet ends)."""
        self.end_seconds = end_seconds

    @property
    def interval(self) -> float:
        return self.end_seconds / self.spec.tiles

    def feed(self, frame: Any, seconds: float) -> None:
        """Take the tiles due by ``seconds`` (this frame's time) and, at the middle, the poster."""
        if self.sheet is None:
            self._open_sheet(int(frame.width), int(frame.height))
        while self.tiles_made < self.spec.tiles and seconds >= self.tiles_made * self.interval:
            self._tile(frame)
        if not self.poster_made and seconds >= self.end_seconds / 2:
            self._poster(frame)
        self.last = frame

    def finish(self) -> None:
        """Write the sheet (tiles past the last frame show it, as does a missing poster) and
        the manifest; drops the last frame."""
        if self.last is None or self.sheet is None:
            raise UnplayableVideo("the first frame does not decode")
        while self.tiles_made < self.spec.tiles:
            self._tile(self.last)
        if not self.poster_made:
            self._poster(self.last)
        self.last = None
        self.sheet.save(self.paths["spritesheet"], "JPEG", quality=JPEG_QUALITY)
        self.sheet = None
        manifest = {
            "files": {kind: str(path) for kind, path in self.paths.items()},
            "grid": self.grid().model_dump(),
        }
        target = self.video.with_suffix(MANIFEST_SUFFIX)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(manifest))
        os.replace(partial, target)

    def grid(self) -> SpriteGrid:
        columns = min(self.spec.columns, self.spec.tiles)
        return SpriteGrid(
            columns=columns,
            rows=math.ceil(self.spec.tiles / columns),
            tile_width=self.tile_size[0],
            tile_height=self.tile_size[1],
            count=self.spec.tiles,
            interval_seconds=round(self.interval, 3),
        )

    def _open_sheet(self, width: int, height: int) -> None:
        tile_width = min(self.spec.tile_width, _even(width))
        self.tile_size = (tile_width, _even(tile_width * height / width))
        columns = min(self.spec.columns, self.spec.tiles)
        rows = math.ceil(self.spec.tiles / columns)
        self.sheet = Image.new("RGB", (columns * self.tile_size[0], rows * self.tile_size[1]))

    def _tile(self, frame: Any) -> None:
        assert self.sheet is not None
        width, height = self.tile_size
        tile = frame.reformat(width=width, height=height, format="rgb24").to_image()
        columns = min(self.spec.columns, self.spec.tiles)
        row, column = divmod(self.tiles_made, columns)
        self.sheet.paste(tile, (column * width, row * height))
        self.tiles_made += 1

    def _poster(self, frame: Any) -> None:
        width = min(THUMBNAIL_WIDTH, _even(frame.width))
        height = _even(width * frame.height / frame.width)
        frame.to_image().save(self.paths["poster"], "JPEG", quality=JPEG_QUALITY)
        thumbnail = frame.reformat(width=width, height=height, format="rgb24").to_image()
        thumbnail.save(self.paths["thumbnail"], "JPEG", quality=JPEG_QUALITY)
        self.poster_made = True


def decode_through(maker: PreviewMaker) -> FullDecode:
    """The check's decode with previews: every frame from the first keyframe on, in order, each
    fed to ``maker``; the first frame's size. UnplayableVideo when no frame decodes or the
    decoded frames stop before the final keyframe. A failure removes what was written."""

    def decode(container: Any, stream: Any, scan: Scan) -> tuple[int, int]:
        try:
            return _decode_all(container, stream, scan, maker)
        except BaseException:
            maker.last = maker.sheet = None
            remove_previews(maker.video)
            raise

    return decode


def _decode_all(container: Any, stream: Any, scan: Scan, maker: PreviewMaker) -> tuple[int, int]:
    maker.start(scan.end_seconds or 0.0)
    container.seek(scan.first_keyframe_pts, stream=stream, backward=True)
    size: tuple[int, int] | None = None
    last_pts: int | None = None
    for packet in container.demux(stream):
        for frame in packet.decode():
            if size is None:
                size = (int(frame.width), int(frame.height))
            if frame.pts is not None:
                last_pts = frame.pts
            seconds = float((last_pts or 0) * stream.time_base)
            maker.feed(frame, seconds)
    if size is None:
        raise UnplayableVideo("the first frame does not decode")
    if last_pts is None or scan.last_keyframe_pts is None or last_pts < scan.last_keyframe_pts:
        raise UnplayableVideo("the final keyframe does not decode")
    maker.finish()
    return size
