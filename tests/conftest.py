"""Shared data sets and helpers for the tests."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.preprocessing import StandardScaler


def noisy_classification(n_samples=600, n_features=50, n_classes=2, seed=0):
    """A synthetic problem with label noise (flip_y), so that even unpenalized optima are finite."""
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=min(10, n_features),
        n_redundant=0,
        n_classes=n_classes,
        flip_y=0.1,
        class_sep=0.8,
        random_state=seed,
    )


def breast_cancer_scaled():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def iris():
    return load_iris(return_X_y=True)


#: name -> (X, y, penalties that have a finite optimum on it)
DATASETS = {
    "breast_cancer": (breast_cancer_scaled, ("l2",)),
    "iris": (iris, ("l2",)),
    "synthetic50": (lambda: noisy_classification(), ("l2", None)),
    "synthetic50_4class": (lambda: noisy_classification(n_classes=4, seed=1), ("l2", None)),
}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def relative_gap(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# Hypothesis profiles: "default" (a few hundred examples in `make test`, always the same ones, so that CI is
# reproducible) and "slow" (more than 10,000 with `make test-slow`, new ones each run). Pick one with
# ONEURON_HYPOTHESIS_PROFILE or hypothesis' own --hypothesis-profile option.
settings.register_profile(
    "default",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "slow",
    max_examples=2_600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# "dev": quick iterations while writing tests (no shrinking; ONEURON_HYPOTHESIS_EXAMPLES sets the number)
settings.register_profile(
    "dev",
    max_examples=int(os.environ.get("ONEURON_HYPOTHESIS_EXAMPLES", "30")),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("ONEURON_HYPOTHESIS_PROFILE", "default"))


def timeless(text: str) -> str:
    """A printed summary without its date and time (they change between two prints, as statsmodels')."""
    text = re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", text)
    return re.sub(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4}", "DATE", text)
