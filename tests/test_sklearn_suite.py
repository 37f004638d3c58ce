"""scikit-learn's own ``test_logistic.py``, run against oneuron's estimators (see ``tests/sklearn_suite.py``).

Every test must pass (its assertions run: a skip is not a pass) except

- the tests of scikit-learn's internals (``INTERNALS``), which say nothing about a drop-in;
- oneuron's deliberate differences (``DIFFERENCES``, at most 8), each a row of the README's table;
- ``OPEN``: known failures still to be fixed, each with its reason.
"""

import re
from pathlib import Path

import pytest

from .sklearn_suite import TEST_FILE, run, swapped_source

#: test id pattern -> why the test is about scikit-learn's internals, not about the estimators' behaviour
INTERNALS = {
    r"test_logistic_cv_multinomial_score\[": "calls scikit-learn's private _log_reg_scoring_path with the "
    "estimator's get_params(), which it takes as its own keywords",
    r"test_logistic_regression_callback_": "scikit-learn's experimental callback API (sklearn.callback)",
    r"test_liblinear_dual_random_state\[": "the randomness of liblinear's dual coordinate descent",
    r"test_liblinear_with_large_values$": "liblinear's own error for |X| > 1e30 (where liblinear freezes)",
    r"test_large_sparse_matrix\[.*-(liblinear|sag|saga)\]": "liblinear/sag/saga's refusal of sparse matrices with "
    "64-bit indices",
    r"test_newton_cholesky_fallback_to_lbfgs$": "scikit-learn's newton-cholesky falling back to its own lbfgs, "
    "seen in n_iter_",
    r"test_logistic_regression_path_": "scikit-learn's private _logistic_regression_path alone",
}

#: test id pattern -> the deliberate difference (a row of the README's scikit-learn table) it meets
DIFFERENCES = {
    r"test_logisticregression_warns_with_n_jobs$": "n_jobs",
    r"test_sample_and_class_weight_equivalence_liblinear\[|test_logisticregression_liblinear_sample_weight\[.*params1\]": "dual",  # noqa: E501
    r"test_elastic_net_vs_l1_l2\[(100|1000000.0)\]|test_scores_attribute_layout_elasticnet$": "tol",
    r"test_logistic_regression_array_api_": "array API",
}

#: test id pattern -> why it still fails (to be fixed)
OPEN: dict = {}

README = Path(__file__).resolve().parents[1] / "README.md"


def _match(table: dict, test_id: str):
    return next((value for pattern, value in table.items() if re.search(pattern, test_id)), None)


@pytest.fixture(scope="module")
def outcomes():
    if not TEST_FILE.exists():
        pytest.skip(f"scikit-learn's tests are not installed ({TEST_FILE})")
    return run(workers=2)


def test_only_the_import_line_is_swapped():
    original, swapped = TEST_FILE.read_text().splitlines(), swapped_source().splitlines()
    removed = [line for line in original if line not in swapped]
    added = [line for line in swapped if line not in original]
    assert removed == ["from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier"]
    assert added == [
        "from oneuron import LogisticRegression, LogisticRegressionCV",
        "from sklearn.linear_model import SGDClassifier",
    ]


def test_scikit_learns_test_logistic_passes(outcomes):
    assert len(outcomes) > 600  # the whole file ran (parametrized cases included)
    source = swapped_source()
    wrong = []
    for test_id, (outcome, message) in sorted(outcomes.items()):
        if _match(INTERNALS, test_id) or _match(DIFFERENCES, test_id) or _match(OPEN, test_id):
            continue
        if outcome == "skipped" and message.split(": ", 1)[-1].strip() in source:
            continue  # skipped by the test itself, for scikit-learn's own estimators too
        if outcome != "passed":
            wrong.append(f"{test_id}: {outcome}: {message[:200]}")
    assert not wrong, "\n".join(wrong)


def test_every_listed_exception_is_real(outcomes):
    """Each pattern names tests that exist and (but for the internals) do not pass: the lists do not rot."""
    for table in (INTERNALS, DIFFERENCES, OPEN):
        for pattern in table:
            hits = [t for t in outcomes if re.search(pattern, t)]
            assert hits, pattern
            if table is not INTERNALS:
                assert any(outcomes[t][0] != "passed" for t in hits), f"{pattern} passes now: remove it"


def test_deliberate_differences_are_few_and_in_the_readme():
    rows = set(DIFFERENCES.values())
    assert len(rows) <= 8
    section = README.read_text().split("## scikit-learn", 1)[1].split("\n## ", 1)[0]
    for row in rows:
        assert re.search(rf"^\| `?{re.escape(row)}`? \|", section, flags=re.M), f"README has no row for {row!r}"
