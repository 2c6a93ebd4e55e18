"""python -m nnviz.tui.mnist [SCENARIO] [--data-dir DIR] [--limit-train N] [--limit-test N]"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nnviz.tui.mnist")
    parser.add_argument("scenario", nargs="?", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    from nnviz.scenario import load_scenario
    from nnviz.session import build
    from nnviz.tui.mnist.app import MnistApp

    scenario = load_scenario(args.scenario).with_overrides(epochs=args.epochs, seed=args.seed)
    MnistApp(build(scenario, data_dir=args.data_dir, threads=1)).run()


if __name__ == "__main__":
    main()
