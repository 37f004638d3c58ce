"""oneuron: logistic regression as one neuron, made into real software.

The neuron, its loss and its gradient are in :mod:`oneuron.neuron`. The public API is what this module
exports, plus the submodules :mod:`oneuron.neuron` (the lesson), :mod:`oneuron.data` (data sources) and
:mod:`oneuron.plots` (figures); every other module is private (its name starts with ``_``).

Names are imported when first used, so that ``import oneuron`` (and ``oneuron --help``) stays instant:
NumPy and scikit-learn are loaded by the first use of an estimator, a function or a submodule.

Examples
--------
>>> import oneuron
>>> oneuron.__version__
'0.1.0'
>>> from oneuron import LogisticRegression
>>> LogisticRegression(C=0.5)
LogisticRegression(C=0.5)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from oneuron._version import __version__

#: public name -> private module that defines it
_EXPORTS = {
    "DataChangedError": "oneuron._validation",
    "DataLostError": "oneuron._validation",
    "FormulaSpec": "oneuron._formula",
    "LogisticRegression": "oneuron._estimator",
    "LogisticRegressionCV": "oneuron._cv",
    "ModelFileError": "oneuron._persist",
    "SeparationWarning": "oneuron._separation",
    "Summary": "oneuron._inference",
    "TestResult": "oneuron._inference",
    "UnseenLabelWarning": "oneuron._validation",
    "export_onnx": "oneuron._onnx",
    "load": "oneuron._persist",
    "logit": "oneuron._formula",
    "lr_test": "oneuron._inference",
    "save": "oneuron._persist",
}
_SUBMODULES = ("data", "neuron", "plots")

__all__ = [
    "DataChangedError",
    "DataLostError",
    "FormulaSpec",
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "SeparationWarning",
    "Summary",
    "TestResult",
    "UnseenLabelWarning",
    "__version__",
    "export_onnx",
    "load",
    "logit",
    "lr_test",
    "save",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names come from __getattr__
    from oneuron import data as data
    from oneuron import neuron as neuron
    from oneuron import plots as plots
    from oneuron._cv import LogisticRegressionCV
    from oneuron._estimator import LogisticRegression
    from oneuron._formula import FormulaSpec, logit
    from oneuron._inference import Summary, TestResult, lr_test
    from oneuron._onnx import export_onnx
    from oneuron._persist import ModelFileError, load, save
    from oneuron._separation import SeparationWarning
    from oneuron._validation import UnseenLabelWarning
    from oneuron.data._dask import DataLostError


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"oneuron.{name}")
    raise AttributeError(f"module 'oneuron' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
