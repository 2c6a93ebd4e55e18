"""nnviz: watch backpropagation happen, and train small networks fast."""

__version__ = "0.1.0"


def __getattr__(name):
    # Lazily, so that `import nnviz` (and `nnviz --help`) does not load numba.
    if name == "Model":
        from nnviz.model import Model

        return Model
    if name == "fit":
        from nnviz.train import fit

        return fit
    raise AttributeError(f"module 'nnviz' has no attribute {name!r}")
