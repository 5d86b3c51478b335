"""The API's prediction schema takes every field a prediction serialises (its schema is strict:
a field the domain adds and the API does not know would fail every response carrying it)."""

from __future__ import annotations

from vacate.api.schemas import PredictionOut
from vacate.domain.prediction import Approach, Prediction


def test_every_field_of_a_prediction_passes_the_api_schema_and_comes_back() -> None:
    prediction = Prediction(
        approach=Approach.AUTO_CONVERGE,
        start_s=1.0,
        duration_s=20.0,
        downtime_s=0.1,
        sent_bytes=3.0e9,
        streams=4,
        why="pre-copy will not converge; throttled from 90%",
        downtime_limit_ms=113.0,
        throttle_initial=0.9,
    )
    shown = PredictionOut.model_validate(prediction.to_dict()).model_dump()
    assert set(shown) == set(prediction.to_dict())
    assert Prediction.from_dict(shown) == prediction
