"""`nnviz --help`: every subcommand is listed (this needs nnviz/cli/run.py, the explorer's
command, to exist: the group imports each command to show its summary)."""

from __future__ import annotations

COMMANDS = ["run", "train", "list", "info", "check", "trace", "data"]


def test_help_lists_every_command(invoke):
    ran = invoke("--help")
    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith("Usage: nnviz")
    listed = ran.stdout.split("Commands:", 1)[1].split()
    for name in COMMANDS:
        assert name in listed, name
    assert "nnviz run xor" in ran.stdout  # the start-here examples


def test_short_help_option(invoke):
    ran = invoke("-h")
    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith("Usage: nnviz")


def test_help_in_a_real_process(nnviz_process):
    ran = nnviz_process("--help")
    assert ran.code == 0, ran.stderr
    assert ran.stderr == ""
    assert "Commands:" in ran.stdout


def test_each_subcommand_has_help(invoke):
    for name in COMMANDS:
        ran = invoke(name, "--help")
        assert ran.code == 0, (name, ran.stderr)
        assert f"Usage: nnviz {name}" in ran.stdout
