"""Model resolution, capabilities as data, duplicate detection and settings."""

from __future__ import annotations

import pytest

from reelgate.capabilities import check_request
from reelgate.errors import (
    CapabilityNotSupportedError,
    PluginError,
    UnknownModelError,
    ValidationError,
)
from reelgate.jobs import JobKind
from reelgate.loader import LoadedPlugin
from reelgate.registry import Registry
from reelgate.requests import GenerateRequest
from reelgate.runtimes import build_runtime
from reelgate.specs import Capabilities, ModelSpec, ProviderSpec, SettingSpec


def provider(name: str, *required: str) -> ProviderSpec:
    return ProviderSpec(
        name=name,
        settings=tuple(SettingSpec(name=r.lower(), env=r, secret=True) for r in required),
        configured_when=(tuple(r.lower() for r in required),) if required else (),
    )


KLING = provider("klingai", "KLING_ACCESS_KEY", "KLING_SECRET_KEY")
VEO = ProviderSpec(
    name="gemini",
    settings=(
        SettingSpec(name="api_key", env="GOOGLE_API_KEY", secret=True),
        SettingSpec(name="project", env="GOOGLE_CLOUD_PROJECT"),
        SettingSpec(name="location", env="GOOGLE_CLOUD_LOCATION"),
    ),
    configured_when=(("api_key",), ("project", "location")),
)
SORA = provider("openai", "OPENAI_API_KEY")
LOCAL = provider("local")


def plugin(name: str, dist: str, *models: ModelSpec) -> LoadedPlugin:
    return LoadedPlugin(name=name, distribution=dist, models=models)


SEED_PLUGINS = (
    plugin(
        "kling",
        "reelgate-kling",
        ModelSpec(
            id="kling-v2-1",
            provider=KLING,
            provider_model="kling-v2-1",
            aliases=("kling", "kling-v1"),
            patterns=("kling*",),
        ),
    ),
    plugin(
        "veo",
        "reelgate-veo",
        ModelSpec(
            id="veo-3.1-fast",
            provider=VEO,
            provider_model="veo-3.1-fast-generate-001",
            aliases=("veo",),
            patterns=("veo*", "gemini*"),
        ),
        ModelSpec(id="veo-3.1", provider=VEO, provider_model="veo-3.1-generate-001"),
    ),
    plugin(
        "sora",
        "reelgate-sora",
        ModelSpec(
            id="sora-2",
            provider=SORA,
            provider_model="sora-2",
            aliases=("sora", "sora-1"),
            patterns=("sora*", "openai*"),
        ),
    ),
    plugin(
        "local",
        "reelgate-local",
        ModelSpec(id="local", provider=LOCAL, provider_model="local-scene-1", patterns=("local*",)),
    ),
)


@pytest.mark.parametrize(
    ("name", "provider_name", "model_id"),
    [
        ("kling-v9-turbo", "klingai", "kling-v2-1"),
        ("KLING", "klingai", "kling-v2-1"),
        ("veo-3.1", "gemini", "veo-3.1"),
        ("veo-4-experimental", "gemini", "veo-3.1-fast"),
        ("gemini-video", "gemini", "veo-3.1-fast"),
        ("sora-1", "openai", "sora-2"),
        ("openai-video", "openai", "sora-2"),
        ("local-anything", "local", "local"),
        (None, "gemini", "veo-3.1-fast"),
        ("", "gemini", "veo-3.1-fast"),
    ],
)
def test_the_seed_selection_rules(name: str | None, provider_name: str, model_id: str) -> None:
    entry = Registry(SEED_PLUGINS).resolve(name)
    assert (entry.spec.provider.name, entry.spec.id) == (provider_name, model_id)


def test_the_default_model_is_configurable() -> None:
    assert Registry(SEED_PLUGINS, default_model="sora").resolve(None).spec.id == "sora-2"


def test_unknown_names_get_close_suggestions() -> None:
    with pytest.raises(UnknownModelError) as caught:
        Registry(SEED_PLUGINS).resolve("vo-3.1")
    assert caught.value.status == 400
    assert "veo-3.1" in caught.value.details["suggestions"]


def test_duplicate_alias_names_both_distributions() -> None:
    clash = plugin(
        "other",
        "acme-video",
        ModelSpec(id="acme", provider=provider("acme"), provider_model="a", aliases=("sora",)),
    )
    with pytest.raises(PluginError) as caught:
        Registry((*SEED_PLUGINS, clash))
    assert "reelgate-sora" in caught.value.message and "acme-video" in caught.value.message


def test_a_provider_name_claimed_by_two_plugins_fails() -> None:
    twin = plugin("twin", "twin-dist", ModelSpec(id="x", provider=LOCAL, provider_model="x"))
    with pytest.raises(PluginError, match="twin-dist"):
        Registry((*SEED_PLUGINS, twin))


def test_configuration_comes_from_the_declared_variables() -> None:
    registry = Registry(
        SEED_PLUGINS,
        environ={
            "GOOGLE_CLOUD_PROJECT": "p",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
            "KLING_ACCESS_KEY": "ak",
        },
    )
    assert registry.provider_status("gemini").configured
    assert registry.provider_status("klingai").missing == ("KLING_SECRET_KEY",)
    assert registry.provider_status("openai").missing == ("OPENAI_API_KEY",)
    assert registry.provider_status("local").configured
    settings = registry.provider_settings("gemini")
    assert settings["project"] == "p"
    from reelgate.errors import ProviderNotConfiguredError

    with pytest.raises(ProviderNotConfiguredError, match="KLING_SECRET_KEY"):
        registry.provider_settings("klingai")


def test_secrets_are_never_shown_in_repr() -> None:
    registry = Registry(SEED_PLUGINS, environ={"OPENAI_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(registry.provider_settings("openai"))


SPEC = ModelSpec(
    id="m",
    provider=LOCAL,
    provider_model="m",
    capabilities=Capabilities(
        kinds=frozenset({JobKind.TEXT}),
        durations=(4, 8),
        aspect_ratios=("16:9",),
        resolutions=("720p",),
        fps=None,
        audio=False,
        max_videos=2,
    ),
)


def req(**video: object) -> GenerateRequest:
    return GenerateRequest.model_validate(
        {
            "prompt": "p",
            "customer_id": "c",
            "settings": {"video": {"duration_seconds": 4, "aspect_ratio": "16:9", **video}},
        }
    )


@pytest.mark.parametrize(
    ("video", "field"),
    [
        ({"duration_seconds": 5}, "duration_seconds"),
        ({"aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"resolution": "1080p"}, "resolution"),
        ({"fps": 24}, "fps"),
        ({"generate_audio": True}, "generate_audio"),
        ({"number_of_videos": 3}, "number_of_videos"),
    ],
)
def test_settings_outside_the_capabilities_are_400s(video: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_request(SPEC, req(**video), JobKind.TEXT)
    assert caught.value.status == 400 and caught.value.details["field"].endswith(field)


def test_an_undeclared_operation_is_a_501() -> None:
    check_request(SPEC, req(), JobKind.TEXT)
    for kind in (JobKind.IMAGE, JobKind.EXTEND):
        with pytest.raises(CapabilityNotSupportedError) as caught:
            check_request(SPEC, req(), kind)
        assert caught.value.status == 501


def test_a_provider_is_found_by_its_name_its_plugin_or_any_of_its_models() -> None:
    registry = build_runtime(environ={}).registry
    for name in ("klingai", "kling", "KLING", "kling-v2-6", "kling-anything"):
        assert registry.provider_named(name) == "klingai"
    assert registry.provider_named("sora") == "openai"
    assert registry.provider_named("veo") == "gemini"
    with pytest.raises(UnknownModelError) as caught:
        registry.provider_named("klong-ai")
    assert "klingai" in caught.value.message and "openai" in caught.value.message
