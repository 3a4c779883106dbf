"""Prices as data: the most specific rate applies, unknown stays unknown, and an operator's
price file overrides what a plugin declared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError as PydanticValidationError

from reelgate.errors import ValidationError
from reelgate.pricing import Price, PriceBook, Rate, cost_of, per_second

VEO_FAST = per_second({"720p": 0.10, "1080p": 0.12}, "2026-11-01", "cloud.google.com/vertex-ai")


def test_the_rate_of_the_resolution_times_seconds_times_videos() -> None:
    cost = cost_of("veo-3.1-fast", VEO_FAST, [8.0, 8.0], "1080p", False, "asked")
    assert cost.amount == pytest.approx(1.92)
    assert cost.currency == "USD"
    assert "16 s asked (2 videos) x $0.12/s (1080p)" in cost.basis
    assert "2026-11-01" in cost.basis


def test_a_resolution_without_a_rate_is_unknown_not_invented() -> None:
    cost = cost_of("veo-3.1-fast", VEO_FAST, [4.0], "4k", False, "asked")
    assert cost.amount is None and not cost.known and "4k" in cost.basis
    assert cost_of("kling-v2-6", None, [5.0], None, False, "asked").amount is None


def test_the_most_specific_rate_wins() -> None:
    price = VEO_FAST.model_copy(
        update={
            "rates": (
                Rate(usd_per_second=0.10),
                Rate(usd_per_second=0.15, audio=True),
                Rate(usd_per_second=0.20, resolution="1080p", audio=True),
            )
        }
    )
    assert price.rate_for("720p", False).usd_per_second == 0.10  # type: ignore[union-attr]
    assert price.rate_for("720p", True).usd_per_second == 0.15  # type: ignore[union-attr]
    assert price.rate_for("1080p", True).usd_per_second == 0.20  # type: ignore[union-attr]


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_an_operator_file_overrides_or_unsets_a_price(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"prices{suffix}"
    if suffix == ".json":
        path.write_text(
            json.dumps(
                {
                    "veo-3.1-fast": {
                        "rates": [{"usd_per_second": 0.08}],
                        "as_of": "2026-11-20",
                        "source": "our contract",
                    },
                    "sora-2": None,
                }
            )
        )
    else:
        path.write_text(
            '"sora-2" = "unknown"\n'
            '["veo-3.1-fast"]\nas_of = 2026-11-20\nsource = "our contract"\n'
            "rates = [{usd_per_second = 0.08}]\n"
        )
    book = PriceBook.from_file(str(path))
    negotiated = book.price_of("veo-3.1-fast", VEO_FAST)
    assert negotiated is not None and negotiated.source == "our contract"
    assert cost_of("veo-3.1-fast", negotiated, [10.0], "720p", False, "asked").amount == 0.8
    assert book.price_of("sora-2", VEO_FAST) is None
    assert book.price_of("veo-3.1", VEO_FAST) is VEO_FAST


def test_a_bad_price_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"veo-3.1": {"rates": [], "as_of": "2026-11-01", "source": "x"}}')
    with pytest.raises(ValidationError, match=r"veo-3\.1"):
        PriceBook.from_file(str(path))
    with pytest.raises(ValidationError, match="cannot read"):
        PriceBook.from_file(str(tmp_path / "missing.json"))


def test_a_token_rate_counts_seconds_times_pixels_times_fps_over_1024() -> None:
    """Seedance's basis: a 5 s 720p clip is 5 x 1280 x 720 x 24 / 1024 = 108,000 tokens (the
    "about 108,900" quoted for it), $0.756 at $7 per million."""
    tokens = Price(rates=(Rate(usd_per_million_tokens=7.0),), as_of="2026-10-02", source="a tariff")
    cost = cost_of("seedance-x", tokens, [5.0], "720p", False, "asked for")
    assert cost.amount == pytest.approx(108_000 * 7.0 / 1_000_000)
    assert "$7/M tokens at 24 fps" in cost.basis
    unknown = cost_of("seedance-x", tokens, [5.0], "4k", False, "asked for")
    assert unknown.amount is None and "frame size of 4k" in unknown.basis


def test_a_rate_has_exactly_one_basis() -> None:
    with pytest.raises(PydanticValidationError):
        Rate()
    with pytest.raises(PydanticValidationError):
        Rate(usd_per_second=0.1, usd_per_million_tokens=7.0)
    assert Rate(usd_per_second=0.1).words() == "$0.1/s"


HAILUO = Price(
    rates=(
        Rate(usd_per_video=0.28, resolution="768p", duration_seconds=6),
        Rate(usd_per_video=0.56, resolution="768p", duration_seconds=10),
        Rate(usd_per_video=0.49, resolution="1080p", duration_seconds=6),
    ),
    as_of="2026-10-24",
    source="a third party's list",
)


def test_a_per_video_rate_prices_each_video_by_its_length_and_resolution() -> None:
    cost = cost_of("hailuo", HAILUO, [6.0, 10.04], "768p", False, "delivered")
    assert cost.amount == pytest.approx(0.84)
    assert "2 videos x $0.28/video (6 s) (768p)" in cost.basis
    assert cost_of("hailuo", HAILUO, [10.0], "1080p", False, "asked").amount is None


def test_credits_need_the_operators_usd_per_credit() -> None:
    credits = Price(rates=(Rate(credits_per_second=12),), as_of="2026-10-01", source="docs")
    unknown = cost_of("gen4.5", credits, [5.0], "720p", False, "asked")
    assert unknown.amount is None and "usd_per_credit" in unknown.basis
    priced = credits.model_copy(update={"usd_per_credit": 0.01})
    cost = cost_of("gen4.5", priced, [5.0], "720p", False, "asked")
    assert cost.amount == pytest.approx(0.60) and "12 credits/s at $0.01/credit" in cost.basis


def test_a_runtime_takes_the_usd_per_credit_from_the_providers_setting() -> None:
    from reelgate import ModelSpec, ProviderSpec, SettingSpec, hookimpl
    from reelgate.runtimes import build_runtime
    from reelgate.testing import FakeProvider

    provider = ProviderSpec(
        name="crediting", settings=(SettingSpec(name="usd_per_credit", env="CREDITING_USD"),)
    )
    model = ModelSpec(
        id="credit-model",
        provider=provider,
        provider_model="m",
        price=Price(rates=(Rate(credits_per_second=5),), as_of="2026-10-01", source="docs"),
    )

    class Plugin(FakeProvider):
        @hookimpl
        def reelgate_models(self) -> list[ModelSpec]:
            return [model]

    without = build_runtime(
        environ={"REELGATE_PLUGINS": ""}, extra_plugins=[("crediting", Plugin())]
    )
    assert without.price_of("credit-model").usd_per_credit is None  # type: ignore[union-attr]
    runtime = build_runtime(
        environ={"CREDITING_USD": "0.02"},
        extra_plugins=[("crediting", Plugin())],
        plugins="crediting",
    )
    assert runtime.price_of("credit-model").usd_per_credit == 0.02  # type: ignore[union-attr]
