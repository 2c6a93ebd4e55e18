"""Data sets for nnviz: toy 2-D sets, a user's CSV, inline tables, and MNIST.

numpy and the standard library only, so that loading a scenario stays light.

    from nnviz.data import load
    ds = load("circles", {"n": 200, "seed": 1})
"""

from nnviz.data.dataset import Dataset
from nnviz.data.errors import DataError
from nnviz.data.kinds import DATA_KINDS, INPUT_SIZES, load

__all__ = ["DATA_KINDS", "INPUT_SIZES", "DataError", "Dataset", "load"]
