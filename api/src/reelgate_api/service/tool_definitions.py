"""The video tools as a model sees them: names, descriptions and arguments' JSON Schemas,
derived from the request models, as OpenAI function tools or Anthropic tools."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reelgate.references import MAX_REFERENCES, Reference
from reelgate.requests import ExtendRequest, GenerateRequest, VideoSettings
from reelgate.storyboards import MAX_SHOTS, Shot, StoryboardRequest

Json = dict[str, Any]

TOOL_VIDEO_SETTINGS = (
    "model",
    "duration_seconds",
    "aspect_ratio",
    "resolution",
    "generate_audio",
    "negative_prompt",
    "seed",
)
"""The ``settings.video`` fields a model may set through the tools (flattened to arguments)."""


@dataclass(frozen=True)
class ToolDefinition:
    """A tool as a model sees it: its name, what it does, and its arguments' JSON Schema."""

    name: str
    description: str
    parameters: Json

    def openai(self) -> Json:
        """An OpenAI Chat Completions function tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def anthropic(self) -> Json:
        """An Anthropic Messages API tool."""
        return {"name": self.name, "description": self.description, "input_schema": self.parameters}


def _plain(schema: Json) -> Json:
    """A property's schema without pydantic's extras: ``X | None`` becomes ``X`` (leaving a
    tool argument out means unset), no titles, no defaults of None."""
    schema = {key: value for key, value in schema.items() if value is not None}
    options = schema.pop("anyOf", None)
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema = {**kept[0], **schema}
    schema.pop("title", None)
    return schema


def _properties(model: type[GenerateRequest] | type[VideoSettings], names: Iterable[str]) -> Json:
    properties = model.model_json_schema()["properties"]
    return {name: _plain(properties[name]) for name in names}


def _object(properties: Json, required: list[str]) -> Json:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _references() -> Json:
    """``references`` as a self-contained schema (pydantic's refers to its ``$defs``)."""
    reference = Reference.model_json_schema()
    return {
        "type": "array",
        "maxItems": MAX_REFERENCES,
        "description": "images, videos or audio the video draws on (characters, a style, a "
        "voice), as many of each as the model takes: see list_video_models",
        "items": {
            "type": "object",
            "properties": {k: _plain(v) for k, v in reference["properties"].items()},
            "required": reference["required"],
            "additionalProperties": False,
        },
    }


def _storyboard_properties() -> Json:
    """``title``, ``continuity`` and ``shots``, self-contained."""
    shot = Shot.model_json_schema()
    board = StoryboardRequest.model_json_schema()["properties"]
    return {
        "title": {"type": "string", "maxLength": 200, "description": "the video's title"},
        "continuity": {
            **_plain(board["continuity"]),
            "description": "extend: each shot continues the one before with the model's own "
            "extension; last_frame: each shot starts from the last frame of the one before; "
            "cut (default): each shot is made on its own",
        },
        "shots": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SHOTS,
            "description": "the shots, in order",
            "items": {
                "type": "object",
                "properties": {k: _plain(v) for k, v in shot["properties"].items()},
                "required": shot["required"],
                "additionalProperties": False,
            },
        },
    }


def tool_definitions(customer_bound: bool) -> list[ToolDefinition]:
    """The five tools; ``customer_bound`` leaves ``customer_id`` out of their arguments."""
    customer = [] if customer_bound else ["customer_id"]
    video = _properties(VideoSettings, TOOL_VIDEO_SETTINGS)
    generate = {
        **_properties(GenerateRequest, ["prompt", *customer, "input_image_url"]),
        "references": _references(),
        **video,
        "wait": {
            "type": "boolean",
            "description": "wait for the video (default true); false answers the job id at "
            "once, to be checked with get_video_job",
        },
    }
    extend = {
        **_properties(ExtendRequest, ["video_id", "prompt", *customer]),
        **video,
        "wait": generate["wait"],
    }
    job_id = {"job_id": {"type": "string", "description": "the job id a video tool answered"}}
    storyboard = {
        **_storyboard_properties(),
        **_properties(GenerateRequest, customer),
        **video,
        "wait": generate["wait"],
    }
    return [
        ToolDefinition(
            "generate_video",
            "Make a video from a text prompt (or animate an image from input_image_url). "
            "Answers the video's URL when it is done, or a job id while it renders.",
            _object(generate, ["prompt", *customer]),
        ),
        ToolDefinition(
            "extend_video",
            "Continue a finished video (video_id: the job id generate_video answered) with "
            "a prompt for what happens next. Answers the longer video's URL or a job id.",
            _object(extend, ["video_id", "prompt", *customer]),
        ),
        ToolDefinition(
            "generate_storyboard",
            "Make one longer video from several shots (each a prompt), joined in order; "
            "continuity says how a shot follows the one before. The model, duration and "
            "other settings apply to every shot unless a shot names its own.",
            _object(storyboard, ["shots", *customer]),
        ),
        ToolDefinition(
            "get_video_job",
            "The status of a video job (queued, running, succeeded, failed, cancelled), its "
            "progress, and its video URL once it succeeded.",
            _object(job_id, ["job_id"]),
        ),
        ToolDefinition(
            "list_video_models",
            "The video models that can be used now, with the durations, aspect ratios and "
            "resolutions each one supports.",
            _object({}, []),
        ),
    ]
