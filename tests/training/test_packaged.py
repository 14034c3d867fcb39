"""The logged pyfunc serves exactly what ``ScoringModel.predict`` computes."""

import mlflow
import pandas as pd
import pytest

from models.packaged import load_scoring_model, log_pyfunc
from tests.models.conftest import fitted
from training.train import serving_rows, use_experiment


@pytest.mark.slow
def test_pyfunc_output_equals_scoring_model_output(tmp_path):
    model, test = fitted("credit")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    use_experiment("pyfunc", tmp_path)  # artifacts under tmp_path, not ./mlruns of the checkout
    example = serving_rows(test, model.spec)
    with mlflow.start_run():
        info = log_pyfunc(model, tmp_path, input_example=example)
    served = mlflow.pyfunc.load_model(info.model_uri).predict(
        serving_rows(test.iloc[10:60], model.spec, n=50)
    )
    expected = model.predict(test.iloc[10:60]).reset_index(drop=True)
    pd.testing.assert_frame_equal(served.reset_index(drop=True), expected, check_dtype=False)
    assert load_scoring_model(info.model_uri).fingerprint == model.fingerprint
