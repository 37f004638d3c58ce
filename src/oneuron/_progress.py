"""Callbacks the estimator hands to a solver: ``loss_curve_``, verbose printing, a progress bar.

Solvers know nothing of these: each reports ``callback(iteration, loss, grad_norm)`` and :class:`FitMonitor`
fans that out. With ``verbose=1`` a fit shows a tqdm progress bar (iteration, loss, gradient norm) when
standard error is a terminal, appearing only once the fit has run for about a second; elsewhere (a log
file, a notebook capture, a pipe) it prints one line per iteration instead, as the lesson's ``debug`` did.
``verbose >= 2`` always prints the lines.
"""

from __future__ import annotations

import sys

#: seconds a fit must run before its progress bar appears.
PROGRESS_DELAY = 1.0
#: seconds between redraws of the bar.
PROGRESS_REFRESH = 0.1


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (False for files, pipes and captured streams)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class FitMonitor:
    """The callback of one fit: records the loss curve and reports progress.

    Parameters
    ----------
    verbose : int
        0: silent; 1: progress bar in a terminal, printed lines otherwise; 2 or more: printed lines.
    max_iter : int
        The solver's iteration cap (the bar's total).
    description : str
        Shown in front of the bar (e.g. the solver's name).
    """

    def __init__(self, verbose: int = 0, max_iter: int | None = None, description: str = "fit"):
        self.loss_curve: list[float] = []
        self._bar = None
        self._print = False
        if verbose == 1 and is_terminal(sys.stderr):
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm is optional: fall back to lines
                self._print = True
            else:
                self._bar = tqdm(
                    total=max_iter,
                    desc=description,
                    unit="it",
                    delay=PROGRESS_DELAY,
                    mininterval=PROGRESS_REFRESH,
                    leave=False,
                    file=sys.stderr,
                )
        elif verbose:
            self._print = True

    def __call__(self, iteration: int, loss: float, grad_norm: float) -> bool:
        self.loss_curve.append(loss)
        if self._bar is not None:
            self._bar.set_postfix({"loss": f"{loss:.6g}", "grad": f"{grad_norm:.2e}"}, refresh=False)
            self._bar.update(1)
        elif self._print:
            print(f"iteration {iteration:5d}   cost {loss:.8f}   |gradient| {grad_norm:.3e}", file=sys.stdout)
        return False

    def close(self) -> None:
        """Remove the progress bar (if any)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
