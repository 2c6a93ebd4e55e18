"""`[view] pace`: steps per second of play, or "full"; checked like the other keys."""

from __future__ import annotations

import math

import pytest

from nnviz.scenario import load_scenario, parse_scenario
from nnviz.scenario.checks import ScenarioError

TINY = '[data]\nkind = "gate"\n[model]\nlayers = [{ units = 1, activation = "sigmoid" }]\n'
TINY += 'loss = "mse"\n'


def _pace(view: str) -> float:
    return parse_scenario(TINY + view, "tiny.toml").view.pace


def test_pace_is_full_speed_unless_set():
    assert _pace("") == math.inf
    assert _pace('[view]\npace = "full"\n') == math.inf
    assert _pace("[view]\npace = 30\n") == 30.0
    assert _pace("[view]\npace = 0.5\n") == 0.5


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "view.pace: must be greater than 0.0, got 0.0"),
        ("-3", "view.pace: must be greater than 0.0, got -3.0"),
        ("1e8", "view.pace: must be at most 10000000, got 100000000.0"),
        ('"fast"', "view.pace: expected steps per second or \"full\", got 'fast'"),
        ("true", "view.pace: expected a number, got the boolean true"),
    ],
)
def test_a_bad_pace_is_one_line_naming_the_key(value, message):
    with pytest.raises(ScenarioError) as err:
        _pace(f"[view]\npace = {value}\n")
    assert str(err.value) == f"tiny.toml: {message}"


@pytest.mark.parametrize(
    "name", ["xor", "gates", "perceptron", "circles", "moons", "spiral", "sine"]
)
def test_the_small_scenarios_play_at_a_pace_of_their_own(name):
    pace = load_scenario(name).view.pace
    assert 0 < pace < math.inf
