"""When the perceptron rule has converged: the one answer the explorer, `nnviz train` and the
scenarios' comments give.

The rule corrects the weights after every row it gets wrong (θ ← θ + η(y − a)x), and only
then. An epoch in which every row is classified right therefore changes nothing, and every
later epoch repeats it: the weights stopped changing after the epoch before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Convergence:
    settled_after: int  # the last epoch that corrected the weights (0: right from the start)
    clean_epoch: int  # the first epoch without a correction (settled_after + 1)

    def text(self) -> str:
        if self.settled_after == 0:
            return "the weights were right from the start: no epoch corrected them"
        return (
            f"the weights stop changing after epoch {self.settled_after} "
            f"(epoch {self.clean_epoch} corrects nothing)"
        )


def convergence(first_epoch: int, accuracies) -> Convergence | None:
    """The first epoch without a mistake among epochs first_epoch, first_epoch + 1, … whose
    training accuracies (measured row by row as the rule went) are given; None when every one
    of them had a mistake."""
    perfect = np.flatnonzero(np.asarray(accuracies, np.float64) == 1.0)
    if not len(perfect):
        return None
    clean = int(first_epoch) + int(perfect[0])
    return Convergence(clean - 1, clean)
