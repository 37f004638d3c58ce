"""oneuron: logistic regression as one neuron, made into real software.

The neuron, its loss and its gradient are in :mod:`oneuron.neuron`.
"""

from oneuron.cv import LogisticRegressionCV
from oneuron.estimator import LogisticRegression
from oneuron.onnx_export import export_onnx
from oneuron.persist import ModelFileError, load, save

__version__ = "0.1.0"

__all__ = [
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "__version__",
    "export_onnx",
    "load",
    "save",
]
