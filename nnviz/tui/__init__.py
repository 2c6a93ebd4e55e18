"""The explorer: `nnviz run SCENARIO`, a Textual app that steps through backpropagation.

The only part of nnviz that imports textual. It talks to the engine through a Session and the
Controller (nnviz.explorer, headless); it never imports numba itself.

    from nnviz.tui import make_app
    make_app("xor").run()
"""

from nnviz.tui.app import NnvizApp, make_app

__all__ = ["NnvizApp", "make_app"]
