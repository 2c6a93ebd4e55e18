"""The compute-graph engine. Import submodules directly; this package imports nothing heavy."""
