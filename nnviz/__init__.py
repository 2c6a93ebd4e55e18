"""nnviz: watch backpropagation happen, and train small networks fast."""

__version__ = "0.1.0"
