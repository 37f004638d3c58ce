"""Optional dependencies: imported when a feature needs them, with the extra to install when missing."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message is one line naming what to install.

    The command line reports it as bad usage (exit status 2) without a traceback.
    """


def require(module: str, needed_for: str, extra: str | None) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependencyError` saying what needs it and how to install it.

    ``extra`` is the oneuron extra that provides the module (``pip install 'oneuron[extra]'``); None for a
    dependency of every install that is missing anyway (then the message names the package itself).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        hint = f"pip install 'oneuron[{extra}]'" if extra else f"pip install {package}"
        raise MissingDependencyError(f"{needed_for} needs {package}: {hint}") from exc
