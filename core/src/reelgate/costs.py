"""What requests and videos cost on a runtime: the prices in force, estimates before a job runs
and the cost of what a provider delivered (a part of :class:`~reelgate.runtime.Runtime`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reelgate.errors import ReelgateError
from reelgate.jobs import JobKind
from reelgate.pricing import Cost, Price, PriceBook, cost_of
from reelgate.requests import ExtendRequest, GenerateRequest

if TYPE_CHECKING:
    from reelgate.media import ImageInput, VideoInput
    from reelgate.prepared import PreparedRequest
    from reelgate.registry import RegisteredModel, Registry

USD_PER_CREDIT = "usd_per_credit"
"""The name of the setting in which a provider billing in credits takes the operator's USD per
credit (a :class:`~reelgate.specs.SettingSpec` of its plugin)."""


class Costs:
    """The cost methods of a runtime, which provides the price book, model resolution,
    candidates and preparation."""

    prices: PriceBook
    registry: Registry

    if TYPE_CHECKING:

        def resolve(self, model: str | None) -> RegisteredModel: ...

        def candidates(self, request: GenerateRequest) -> list[str]: ...

        def prepare(
            self,
            request: GenerateRequest,
            *,
            image: ImageInput | None = None,
            video: VideoInput | None = None,
            configured: bool = True,
        ) -> PreparedRequest: ...

        def _prepare_one(
            self,
            request: GenerateRequest,
            image: ImageInput | None,
            video: VideoInput | None,
            configured: bool = True,
        ) -> PreparedRequest: ...

    def price_of(self, model_id: str) -> Price | None:
        """The price in force for a model: the operator's, else the plugin's. A price in the
        provider's credits takes its USD per credit from the provider's ``usd_per_credit``
        setting when the price itself names none."""
        spec = self.resolve(model_id).spec
        price = self.prices.price_of(model_id, spec.price)
        if price is None or not price.in_credits or price.usd_per_credit is not None:
            return price
        raw = self.registry.plain_setting(spec.provider.name, USD_PER_CREDIT)
        try:
            usd = float(raw) if raw else None
        except ValueError:
            usd = None
        if usd is None or not usd > 0:
            return price
        return price.model_copy(update={"usd_per_credit": usd})

    def prices_for(self, request: GenerateRequest) -> dict[str, Price | None]:
        """The price in force for each model ``request`` may run on (by model id): what an
        admission pins, so the job is costed and settled at these prices wherever it runs."""
        prices: dict[str, Price | None] = {}
        for name in self.candidates(request):
            try:
                model_id = self.resolve(name).spec.id
            except ReelgateError:
                continue  # a candidate that cannot run is never costed
            prices[model_id] = self.price_of(model_id)
        return prices

    def estimate(self, request: GenerateRequest, model_id: str | None = None) -> Cost:
        """What ``request`` would cost on its model (or ``model_id``), before it runs."""
        spec = self.resolve(model_id or request.video.model).spec
        if isinstance(request, ExtendRequest) and spec.capabilities.extension_billing != (
            "added_seconds"
        ):
            return Cost(
                amount=None,
                basis=f"{spec.id} bills the whole extended video, whose length is known only "
                "once it is delivered: the cost is unknown",
            )
        seconds = [float(request.video.duration_seconds)] * request.video.number_of_videos
        return self._cost(spec.id, request, seconds, "asked for")

    def most_it_may_cost(self, request: GenerateRequest, *, configured: bool = True) -> Cost:
        """The highest estimate among the candidates ``request`` may run on (those that pass
        :meth:`prepare`): what a budget must hold for it, whichever model serves it. Unknown
        when any of them has no known price. ``configured=False``: a price question, asked
        without the providers' credentials."""
        costs = []
        for model in self.candidates(request):
            try:
                prepared = self._prepare_one(request.only_model(model), None, None, configured)
            except ReelgateError:
                continue
            costs.append(self.estimate(prepared.request, prepared.model))
        if not costs:
            prepared = self.prepare(request, configured=configured)  # raises why none can run
            return self.estimate(prepared.request, prepared.model)
        unknown = [cost for cost in costs if cost.amount is None]
        return unknown[0] if unknown else max(costs, key=lambda cost: cost.amount or 0.0)

    def cost_of_videos(
        self,
        model_id: str,
        request: GenerateRequest,
        seconds: Sequence[float],
        kind: JobKind = JobKind.TEXT,
        prices: Mapping[str, Price | None] | None = None,
    ) -> Cost:
        """What the videos a provider delivered for ``request`` cost (``seconds``: each
        video's length). An extension of a model billing the seconds it adds
        (``Capabilities.extension_billing``) costs the seconds asked for, whatever the
        returned video holds: the estimate and the settlement agree. ``prices``: the prices
        the job's admission pinned (:meth:`prices_for`), used instead of this runtime's."""
        spec = self.resolve(model_id).spec
        if kind is JobKind.EXTEND and spec.capabilities.extension_billing == "added_seconds":
            added = [float(request.video.duration_seconds)] * len(seconds)
            return self._cost(spec.id, request, added, "added by the extension", prices)
        return self._cost(spec.id, request, seconds, "delivered", prices)

    def _cost(
        self,
        model_id: str,
        request: GenerateRequest,
        seconds: Sequence[float],
        what: str,
        prices: Mapping[str, Price | None] | None = None,
    ) -> Cost:
        spec = self.resolve(model_id).spec
        resolution = request.video.resolution or spec.default_resolution
        audio = bool(request.video.generate_audio)
        pinned = prices is not None and spec.id in prices
        price = prices[spec.id] if prices is not None and pinned else self.price_of(spec.id)
        return cost_of(spec.id, price, seconds, resolution, audio, what)
