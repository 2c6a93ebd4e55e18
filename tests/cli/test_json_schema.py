"""Every command's --json output, run for real, is JSON lines matching
nnviz/schema/events.schema.json (checked with nnviz.schema.check, which is tested here too).
`nnviz data fetch --json` is checked in tests/data_sets/test_data_cli.py (it needs a server)."""

from __future__ import annotations

import json

import pytest

from nnviz.schema import SCHEMA_PATH, SCHEMA_VERSION
from nnviz.schema.check import check_lines, errors, load_schema

RUNS = {
    "list": ["list", "--json"],
    "info xor": ["info", "xor", "--json"],
    "info chain": ["info", "chain", "--json"],
    "info mnist": ["info", "mnist", "--json"],
    "check xor": ["check", "xor", "--json"],
    "check chain": ["check", "chain", "--json"],
    "train xor": ["train", "xor", "--epochs", "30", "--json"],
    "train perceptron-step": ["train", "perceptron-step", "--json"],
    "train --bench": ["train", "circles", "--epochs", "3", "--bench", "--json"],
    "data info": ["data", "info", "--json"],
    "train --validation": ["train", "moons", "--epochs", "3", "--validation", "0.2", "--json"],
    "race": ["race", "xor", "--epochs", "20", "--target-loss", "0.6", "--json"],
    "sweep": ["sweep", "moons", "--lr", "1e-3:0.1", "--points", "3", "--epochs", "2", "--json"],
    "sweep units": ["sweep", "moons", "--units", "2,3", "--epochs", "2", "--json"],
    "cv": ["cv", "moons", "--folds", "3", "--epochs", "2", "--json"],
    "health": ["health", "vanishing", "--epochs", "2", "--samples", "2", "--json"],
    "trace xor": ["trace", "xor", "--steps", "1:2", "--explain", "--json"],
    "trace chain": ["trace", "chain", "--explain", "--json"],
    "trace diverging": ["trace", "sine", "--lr", "1e30", "--steps", "2", "--json"],
}


@pytest.mark.parametrize("args", RUNS.values(), ids=RUNS.keys())
def test_real_output_matches_the_schema(invoke, args):
    ran = invoke(*args)
    assert ran.code == 0, ran.stderr
    assert ran.stdout.strip(), "no output"
    assert check_lines(ran.stdout.rstrip("\n")) == []
    for line in ran.json_lines():
        assert line["schema"] == SCHEMA_VERSION


def test_train_save_and_perceptron_keys_are_in_the_schema(invoke, tmp_path):
    ran = invoke("train", "xor", "--epochs", "3", "--json", "--save", str(tmp_path / "w.npz"))
    assert ran.code == 0, ran.stderr
    assert check_lines(ran.stdout.rstrip("\n")) == []
    assert "saved" in ran.json_lines()[-1]


def test_a_scenario_over_several_data_sets_names_the_set_on_every_line(invoke):
    ran = invoke("train", "perceptron-step", "--epochs", "2", "--json")
    lines = ran.json_lines()
    assert {line["data"] for line in lines} == {"or", "and", "xor"}
    single = invoke("train", "xor", "--epochs", "2", "--json").json_lines()
    assert not any("data" in line for line in single)


def test_data_info_is_one_line(invoke):
    ran = invoke("data", "info", "--json")
    assert len(ran.stdout.splitlines()) == 1
    assert json.loads(ran.stdout)["event"] == "data_info"


def test_every_event_in_the_schema_is_versioned_and_closed():
    schema = load_schema()
    names = []
    for option in schema["oneOf"]:
        event = schema["$defs"][option["$ref"].rsplit("/", 1)[1]]
        names.append(event["properties"]["event"]["const"])
        assert event["required"][:2] == ["event", "schema"]
        assert event["properties"]["schema"] == {"$ref": "#/$defs/version"}
        assert event["additionalProperties"] is False
        assert event["description"]
    assert schema["$defs"]["version"]["const"] == SCHEMA_VERSION
    assert len(names) == len(set(names))
    assert SCHEMA_PATH.name == "events.schema.json"


# ------------------------------------------------------------ the checker itself
GOOD = {"event": "scenario", "schema": 1, "name": "xor", "description": "XOR"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({**GOOD, "schema": 2}, "$.schema: 2 is not 1"),
        ({k: v for k, v in GOOD.items() if k != "name"}, "$: 'name' is missing"),
        ({**GOOD, "colour": "red"}, "$: 'colour' is not in the schema"),
        ({**GOOD, "name": 3}, "$.name: 3 is not of type string"),
        ({"event": "nonsense", "schema": 1}, "matches none of oneOf"),
        ({**GOOD, "schema": True}, "$.schema: true is not 1"),
    ],
)
def test_the_checker_rejects(line, problem):
    found = check_lines(json.dumps(line))
    assert any(problem in p for p in found), found


def test_the_checker_accepts_a_good_line_and_rejects_bad_json():
    assert check_lines(json.dumps(GOOD)) == []
    assert check_lines("{not json") == ["line 1: not JSON (Expecting property name enclosed in "
                                        "double quotes)"]  # fmt: skip
    assert check_lines(json.dumps(GOOD) + "\n\n" + json.dumps(GOOD)) == ["line 2: empty"]


def test_the_checker_refuses_keywords_it_does_not_know():
    with pytest.raises(ValueError, match="pattern"):
        errors("x", {"type": "string", "pattern": "^x$"})


def test_the_checker_handles_types_enum_minimum_and_items():
    schema = {"type": "array", "items": {"type": ["integer", "null"], "minimum": 0}}
    assert errors([1, None, 2], schema) == []
    assert errors([1, -1], schema) == ["$[1]: -1 is below the minimum 0"]
    assert errors([True], schema) == ["$[0]: true is not of type integer or null"]
    assert errors("b", {"enum": ["a"]}) == ['$: "b" is not one of ["a"]']
