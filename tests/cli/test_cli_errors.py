"""Bad input: exit 2 and exactly one line on stderr, never a traceback — under CliRunner and,
for the contract of LazyGroup.main itself, in a real process as a shell runs nnviz."""

from __future__ import annotations

import pytest

BAD_TOML = 'name = "broken"\ndescription = "a table header that never closes"\n[data\nkind = 1\n'

# (arguments, a piece of the one line); "{bad}" and "{missing}" are filled in per test.
CASES = [
    (["train", "xr"], "did you mean 'xor'?"),
    (["info", "mnist-rel"], "did you mean 'mnist-relu'?"),
    (["check", "cahin"], "did you mean 'chain'?"),
    (["trace", "nope"], "unknown scenario 'nope'"),
    (["train", "xor", "--bogus"], "No such option '--bogus'"),
    (["train", "xor", "--epochs", "0"], "Invalid value for '--epochs'"),
    (["train", "xor", "--epochs", "two"], "Invalid value for '--epochs'"),
    (["train", "xor", "--lr", "-1"], "Invalid value for '--lr'"),
    (["train", "xor", "--dtype", "float16"], "'float16' is not one of 'float32', 'float64'"),
    (["train", "xor", "--optimizer", "adamw"], "Invalid value for '--optimizer'"),
    (["train", "xor", "--threads", "3"], "Invalid value for '--threads'"),
    (["trace", "xor", "--steps", "-1"], "Invalid value for '--steps'"),
    (["check", "xor", "--elements", "0"], "Invalid value for '--elements'"),
    (["train", "{missing}"], "no such scenario file"),
    (["info", "{missing}"], "no such scenario file"),
    (["train", "{bad}"], "bad.toml: line 3, column 6:"),
    (["info", "{bad}"], "bad.toml: line 3, column 6:"),
    (["info"], "Missing argument 'SCENARIO'"),
    (["train"], "missing SCENARIO"),
    (["bogus"], "No such command 'bogus'"),
    (["--bogus"], "No such option '--bogus'"),
]


def _args(args: list[str], tmp_path) -> list[str]:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_TOML)
    missing = tmp_path / "missing" / "scenario.toml"
    return [a.format(bad=bad, missing=missing) for a in args]


def _id(case) -> str:
    return " ".join(case[0]).replace("{", "").replace("}", "")


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[_id(c) for c in CASES])
def test_bad_input_is_one_line_and_exit_2(invoke, tmp_path, args, expected):
    ran = invoke(*_args(args, tmp_path))
    line = ran.assert_one_line_error(2)
    # click 8.1 writes "No such option: --bogus", later ones "No such option '--bogus'"
    assert expected in line.replace(": --bogus", " '--bogus'")
    assert line.startswith("nnviz")
    assert ran.stdout == ""


def test_bad_syntax_names_the_file_line_and_column(invoke, tmp_path):
    line = invoke(*_args(["train", "{bad}"], tmp_path)).assert_one_line_error(2)
    assert line == (
        "nnviz: bad.toml: line 3, column 6: Expected ']' at the end of a table declaration"
    )


# In a real process: what the shell sees from LazyGroup.main (stderr, exit status).
PROCESS_CASES = [
    ["train", "xr"],
    ["train", "xor", "--bogus"],
    ["train", "xor", "--epochs", "0"],
    ["train", "xor", "--lr", "-1"],
    ["train", "xor", "--dtype", "float16"],
    ["train", "xor", "--optimizer", "adamw"],
    ["train", "{missing}"],
    ["train", "{bad}"],
    ["train"],
    ["train", "chain"],
]


@pytest.mark.parametrize("args", PROCESS_CASES, ids=[" ".join(a) for a in PROCESS_CASES])
def test_bad_input_in_a_real_process(nnviz_process, tmp_path, args):
    ran = nnviz_process(*_args(args, tmp_path))
    line = ran.assert_one_line_error(2)
    assert line.startswith("nnviz")
    assert ran.stdout == ""


def test_unknown_scenario_message_in_a_real_process(nnviz_process):
    line = nnviz_process("train", "xr").assert_one_line_error(2)
    assert line == "nnviz: unknown scenario 'xr'; did you mean 'xor'? (see nnviz list)"


def test_usage_errors_name_the_subcommand(nnviz_process):
    line = nnviz_process("train", "xor", "--epochs", "0").assert_one_line_error(2)
    assert line == (
        "nnviz train: Invalid value for '--epochs': 0 is not in the range 1<=x<=1000000000."
    )


def test_version_and_help_of_a_subcommand_exit_0(nnviz_process):
    ran = nnviz_process("--version")
    assert ran.code == 0 and ran.stdout.startswith("nnviz, version ")
    ran = nnviz_process("train", "--help")
    assert ran.code == 0 and "Usage: nnviz train" in ran.stdout and ran.stderr == ""
