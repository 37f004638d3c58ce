"""Formulas (``"y ~ age + C(occupation) + np.log(income)"``) on formulaic, and :func:`logit`.

The fitted model keeps a :class:`FormulaSpec`: formulaic's ``ModelSpec`` of the right-hand side (the
categorical levels, the state of stateful transforms such as ``center`` or ``poly``), so ``predict`` and
``summary`` on a new DataFrame encode it as the training data was. Model files carry the spec as JSON (see
:meth:`FormulaSpec.to_json`): the formula text, the encoder state (each factor's kind and, for categorical
factors, its levels) and the transform state, from which formulaic rebuilds the same ``ModelSpec``; no
pickle.
"""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np

from oneuron._optional import require

#: the name formulaic gives the intercept column
INTERCEPT = "Intercept"


def _formulaic():
    return require("formulaic", "formulas (oneuron.logit)", "formula")


# ----------------------------------------------------------------------------------------------------------
# plain JSON for the model spec's state (numbers, strings, lists, dicts with any keys, arrays)
# ----------------------------------------------------------------------------------------------------------
def _to_json(v, where: str):
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int | np.integer) and not isinstance(v, np.bool_):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating):
        v = float(v)
        return v if np.isfinite(v) else {"float": repr(v)}
    if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
        return {"array": [_to_json(x, where) for x in v.ravel().tolist()], "shape": list(v.shape), "dtype": v.dtype.str}
    if isinstance(v, list | tuple):
        return {"list": [_to_json(x, where) for x in v]}
    if isinstance(v, dict):
        return {"dict": [[_to_json(k, where), _to_json(x, where)] for k, x in v.items()]}
    raise ValueError(
        f"the formula's state {where} holds {v!r} (type {type(v).__name__}), which a model file cannot store "
        "without pickle."
    )


def _from_json(v):
    if not isinstance(v, dict):
        return v
    if set(v) == {"float"}:
        return float(v["float"])
    if set(v) == {"array", "shape", "dtype"}:
        return np.array([_from_json(x) for x in v["array"]], dtype=np.dtype(v["dtype"])).reshape(v["shape"])
    if set(v) == {"list"}:
        return [_from_json(x) for x in v["list"]]
    if set(v) == {"dict"}:
        return {_hashable(_from_json(k)): _from_json(x) for k, x in v["dict"]}
    raise ValueError(f"unexpected value {v!r} in a formula's state.")


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


class FormulaSpec:
    """What a formula model needs to encode new data: formulaic's ``ModelSpec`` of the right-hand side.

    Parameters
    ----------
    formula : str
        The formula as written (``"y ~ x1 + C(group)"``).
    spec : formulaic.ModelSpec
        The right-hand side's spec, from the training data.
    target : str
        The left-hand side (the dependent variable's name).

    Examples
    --------
    >>> import pandas as pd
    >>> from oneuron import logit
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "g": list("abcabc"), "x": [1.0, 2, 3, 4, 5, 7]})
    >>> model = logit("y ~ x + C(g)", df, penalty="l2")
    >>> model.formula_.columns
    ['x', 'C(g)[T.b]', 'C(g)[T.c]']
    """

    def __init__(self, formula: str, spec, target: str, columns=None):
        self.formula = formula
        self.spec = spec
        self.target = target
        columns = list(spec.column_names) if columns is None else list(columns)
        self.all_columns = columns
        self.intercept = INTERCEPT in columns
        self.columns = [c for c in columns if c != INTERCEPT]

    def __repr__(self) -> str:
        return f"FormulaSpec({self.formula!r})"

    # -- encoding -----------------------------------------------------------------------------------------
    def _levels(self) -> str:
        return "; ".join(
            f"{name}: {state['categories']}"
            for name, (_, state) in self.spec.encoder_state.items()
            if isinstance(state, dict) and "categories" in state
        )

    def _matrix(self, data, na_action: str):
        from formulaic.errors import DataMismatchWarning

        with warnings.catch_warnings():
            warnings.simplefilter("error", DataMismatchWarning)
            try:
                mm = self.spec.get_model_matrix(data, na_action=na_action)
            except DataMismatchWarning as exc:
                found = re.search(r"\{.*\}", str(exc))
                unseen = re.sub(r"np\.\w+\((.*?)\)", r"\1", found.group(0)) if found else "?"
                raise ValueError(
                    f"the data has categorical levels the model was not fitted on: {unseen}. The fitted levels are "
                    f"{self._levels()}; map the new levels to one of these (or drop those rows) first."
                ) from None
        return mm

    def design(self, data):
        """The design matrix of ``data`` (a DataFrame) as the model's features: a DataFrame, one row per row
        of ``data`` (missing values raise), columns ``columns``."""
        return self._select(self._matrix(data, "raise"))

    def _select(self, mm):
        if list(mm.columns) != self.all_columns:
            raise ValueError(
                f"the formula {self.formula!r} gives the columns {list(mm.columns)} on this data; the model was "
                f"fitted on {self.all_columns}."
            )
        return mm[self.columns]

    def model_data(self, data, groups=None):
        """``(X, y, groups, index)`` of ``data`` for inference: rows with missing values dropped as in
        :func:`logit`; ``groups`` (column names of ``data`` or arrays with one value per row) aligned with
        the kept rows."""
        formulaic = _formulaic()
        rhs = self._matrix(data, "drop")
        lhs = formulaic.model_matrix(f"{self.target} ~ 1", data, na_action="drop").lhs
        index = rhs.index.intersection(lhs.index)
        y = _labels(lhs.loc[index])
        g = None
        if groups is not None:
            g = _groups(data, groups).loc[index].to_numpy()
        X = self._select(rhs).loc[index]
        return X, y, g, index

    # -- model files --------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The spec as plain JSON: formula, encoder and transform state, the expected columns."""
        spec = self.spec
        encoder = {
            name: [kind.value, _to_json({k: v for k, v in state.items() if k != "contrasts"}, name)]
            for name, (kind, state) in spec.encoder_state.items()
        }
        return {
            "formula": self.formula,
            "target": self.target,
            "rhs": str(spec.formula),
            "ensure_full_rank": bool(spec.ensure_full_rank),
            "na_action": spec.na_action.value,
            "encoder_state": encoder,
            "transform_state": _to_json(spec.transform_state, "transform_state"),
            "columns": self.all_columns,
        }

    @classmethod
    def from_json(cls, d: dict) -> FormulaSpec:
        """Rebuild the spec of :meth:`to_json` (ValueError if the rebuilt one has other columns)."""
        formulaic = _formulaic()
        from formulaic.parser.types import Factor

        encoder = {name: (Factor.Kind(kind), _from_json(state)) for name, (kind, state) in d["encoder_state"].items()}
        spec = formulaic.ModelSpec(
            formula=d["rhs"],
            materializer="pandas",
            ensure_full_rank=bool(d["ensure_full_rank"]),
            na_action=d["na_action"],
            output="pandas",
            transform_state=_from_json(d["transform_state"]),
            encoder_state=encoder,
        )
        return cls(d["formula"], spec, d["target"], columns=d["columns"])


def _labels(lhs):
    """Class labels from formulaic's left-hand side: a categorical (or text) target's indicator columns
    mapped back to its levels, any other single column as it is (booleans as 0/1, as formulaic gives them)."""
    spec = getattr(lhs, "model_spec", None)
    states = [] if spec is None else list(spec.encoder_state.values())
    levels = [st["categories"] for _, st in states if isinstance(st, dict) and "categories" in st]
    if len(states) == 1 and len(levels) == 1 and lhs.shape[1] == len(levels[0]):
        return np.asarray(levels[0], dtype=object)[lhs.to_numpy().argmax(axis=1)]
    if lhs.shape[1] != 1:
        raise ValueError(f"the formula's left-hand side gives {lhs.shape[1]} columns; it must name one target.")
    return lhs.iloc[:, 0].to_numpy()


def _groups(data, groups):
    import pandas as pd

    if isinstance(groups, str):
        return data[groups]
    if isinstance(groups, list | tuple) and groups and all(isinstance(g, str) for g in groups):
        return data[list(groups)]
    if isinstance(groups, pd.Series | pd.DataFrame):
        return groups
    g = np.asarray(groups)
    if len(g) != len(data):
        raise ValueError(f"groups has {len(g)} values for {len(data)} rows of data.")
    return pd.DataFrame(g, index=data.index) if g.ndim == 2 else pd.Series(g, index=data.index)


def split_formula(formula: str) -> tuple[str, str]:
    """``(target, right-hand side)`` of ``"target ~ rhs"``."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(f"formula must be one string 'target ~ terms', got {formula!r}.")
    target, rhs = (part.strip() for part in formula.split("~"))
    if not target or not rhs:
        raise ValueError(f"formula {formula!r} needs a target on the left of '~' and terms on the right.")
    return target, rhs


def logit(formula: str, data, *, context=None, sample_weight=None, **params):
    """Fit a logistic regression given as a formula on a DataFrame, as statsmodels' ``logit``/``mnlogit``.

    The formula is formulaic's (a superset of R's and patsy's): categorical terms ``C(x)`` (and text columns),
    interactions ``a:b`` and ``a*b``, transforms ``np.log(x)``, stateful transforms ``center(x)``,
    ``scale(x)``, ``poly(x, 2)``, ``bs(x)``; ``- 1`` drops the intercept. The target (left of ``~``) with
    two values gives a binary model, with more a multinomial one (statsmodels' ``mnlogit``). Rows with
    missing values are dropped (as statsmodels does).

    Parameters
    ----------
    formula : str
        ``"target ~ terms"``.
    data : pandas.DataFrame
    context : mapping, optional
        Names the formula may use besides the columns (by default the caller's variables).
    sample_weight : array-like, optional
        One weight per row of ``data``.
    **params
        Parameters of :class:`~oneuron.LogisticRegression`. The default is ``penalty=None`` (maximum
        likelihood, as statsmodels) and ``tol=1e-8``.

    Returns
    -------
    LogisticRegression
        Fitted; ``formula_`` holds the :class:`FormulaSpec`, so ``predict``, ``predict_proba``,
        ``summary``, ``marginal_effects`` and ``predict_interval`` accept a DataFrame with the formula's
        columns, and ``oneuron.save`` stores the formula with the model.

    Examples
    --------
    >>> import statsmodels.api as sm
    >>> import oneuron
    >>> df = sm.datasets.fair.load_pandas().data
    >>> df["affair"] = (df["affairs"] > 0).astype(int)
    >>> model = oneuron.logit("affair ~ age + C(religious)", df)
    >>> model.summary().table.index.tolist()
    ['Intercept', 'age', 'C(religious)[T.2.0]', 'C(religious)[T.3.0]', 'C(religious)[T.4.0]']
    >>> model.predict_proba(df.head(2)).shape
    (2, 2)
    """
    formulaic = _formulaic()
    import pandas as pd

    from oneuron._estimator import LogisticRegression

    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    target, _ = split_formula(formula)
    if "fit_intercept" in params:
        raise ValueError("the formula decides the intercept: write '- 1' (or '0 +') to fit without one.")
    params = {"penalty": None, "tol": 1e-8, **params}
    if context is None:
        frame = sys._getframe(1)
        context = {**frame.f_globals, **frame.f_locals}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mm = formulaic.model_matrix(formula, data, context=context, na_action="drop")
    lhs, rhs = mm.lhs, mm.rhs
    spec = FormulaSpec(formula, rhs.model_spec, target)
    y = _labels(lhs)
    X = rhs[spec.columns]
    sw = None
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype=np.float64)
        if sw.shape != (len(data),):
            raise ValueError(f"sample_weight must have one value per row of data ({len(data)}), got {sw.shape}.")
        sw = pd.Series(sw, index=data.index).loc[rhs.index].to_numpy()
    model = LogisticRegression(fit_intercept=spec.intercept, **params)
    model.fit(X, pd.Series(y, name=target, index=rhs.index), sample_weight=sw)
    model.formula_ = spec
    return model
