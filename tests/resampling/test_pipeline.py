import numpy as np
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder

from dirkit.resampling import SMOGN, SMOTER


def make_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "size": rng.normal(size=n),
        "age": rng.integers(0, 50, size=n),
        "kind": pd.Categorical(rng.choice(["flat", "house", "loft"], size=n)),
    })
    return frame, pd.Series(np.exp(frame["size"] + rng.normal(scale=0.3, size=n)), name="price")


def test_resampler_then_encoder_then_forest_in_an_imblearn_pipeline():
    X, y = make_frame()
    encode = ColumnTransformer([("kind", OneHotEncoder(), ["kind"])], remainder="passthrough")
    model = Pipeline([
        ("smogn", SMOGN(random_state=0)),
        ("encode", encode),
        ("forest", RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1)),
    ]).fit(X, y)
    assert model.predict(X).shape == (len(X),)


def test_grid_search_clones_and_sets_resampler_parameters():
    X, y = make_frame(seed=1)
    X = X[["size", "age"]]
    pipe = Pipeline([("smoter", SMOTER(random_state=0)),
                     ("forest", RandomForestRegressor(n_estimators=5, random_state=0, n_jobs=1))])
    search = GridSearchCV(pipe, {"smoter__k_neighbors": [2, 4]}, cv=2, n_jobs=1).fit(X, y)
    assert search.best_params_["smoter__k_neighbors"] in (2, 4)
