"""oneuron: logistic regression as one neuron, made into real software.

The neuron, its loss and its gradient are in :mod:`oneuron.neuron`. The public API is what this module
exports, plus the submodules :mod:`oneuron.neuron` (the lesson), :mod:`oneuron.data` (data sources) and
:mod:`oneuron.plots` (figures); every other module is private (its name starts with ``_``).
"""

from oneuron._cv import LogisticRegressionCV
from oneuron._estimator import LogisticRegression
from oneuron._inference import Summary
from oneuron._onnx import export_onnx
from oneuron._persist import ModelFileError, load, save
from oneuron._separation import SeparationWarning
from oneuron._validation import DataChangedError, DataLostError, UnseenLabelWarning
from oneuron._version import __version__

__all__ = [
    "DataChangedError",
    "DataLostError",
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "SeparationWarning",
    "Summary",
    "UnseenLabelWarning",
    "__version__",
    "export_onnx",
    "load",
    "save",
]
