"""Optional dependencies: imported when a feature needs them, with the extra to install when missing."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, needed_for: str, extra: str) -> ModuleType:
    """Import ``module``, or raise an ImportError saying what needs it and which oneuron extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{needed_for} needs {module.split('.')[0]}: pip install 'oneuron[{extra}]'") from exc
