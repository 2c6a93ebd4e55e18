"""README.md's examples are true: the notebook example runs as written, the commands it names
exist, and its numerical conventions are the engine's defaults."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def _code(title: str, language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", _section(title), flags=re.DOTALL)
    return block


def test_the_notebook_example_runs_as_written():
    names: dict = {}
    exec(compile(_code("In a notebook", "python"), "README.md", "exec"), names)  # noqa: S102
    model, X = names["model"], names["X"]
    assert model.value("u1").shape == (4, 4)  # the batch's rows, not the whole capacity
    assert model.grad("W1").shape == (2, 4)
    assert np.abs(model.grad("W1")).max() > 0  # backprop() computed it
    assert model.evaluate(X, names["y"])[1] == 1.0  # XOR learned
    assert names["history"][-1]["epoch"] == 5000


def test_the_first_lines_are_the_install_and_test_commands():
    first = _code_block_after_title()
    assert first == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/nnviz run xor",
        ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest",
    ]


def _code_block_after_title() -> list[str]:
    assert README.startswith("# nnviz\n\n```sh\n")
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("momentum", "momentum", 0.9),
        ("nesterov", "momentum", 0.9),
        ("rmsprop", "alpha", 0.99),
        ("rmsprop", "eps", 1e-8),
        ("adam", "beta1", 0.9),
        ("adam", "beta2", 0.999),
        ("adam", "eps", 1e-8),
        ("adagrad", "eps", 1e-10),
    ],
)
def test_the_stated_defaults_are_the_engines(kind, key, value):
    from nnviz.engine.spec import OPTIMIZER_DEFAULTS

    assert OPTIMIZER_DEFAULTS[kind][key] == value
    conventions = _section("Numerical conventions")
    bullets = [" ".join(b.split()) for b in conventions.split("\n- ")[1:]]
    bullet = next(b for b in bullets if b.startswith("`") and f"`{kind}`" in b.split(":")[0])
    assert f"{value:g}".replace("e-0", "e-") in bullet, bullet
