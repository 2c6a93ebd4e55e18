"""`nnviz --help`: every subcommand is listed (this needs nnviz/cli/run.py, the explorer's
command, to exist: the group imports each command to show its summary)."""

from __future__ import annotations

COMMANDS = ["run", "train", "list", "info", "check", "trace", "data", "export"]


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


def test_bare_nnviz_prints_the_help_and_succeeds(nnviz_process):
    """Click 8.2 turned a bare group call into a usage error (exit 2, help on stderr)."""
    ran = nnviz_process()
    assert ran.code == 0, ran.stderr
    assert ran.stderr == ""
    assert ran.stdout.startswith("Usage: nnviz")
    assert "Commands:" in ran.stdout
    assert ran.stdout.count("\n") > 10  # the formatted help, not one folded line


def test_bare_nnviz_data_prints_its_help_and_succeeds(nnviz_process):
    ran = nnviz_process("data")
    assert ran.code == 0, ran.stderr
    assert ran.stderr == ""
    assert ran.stdout.startswith("Usage: nnviz data")
    listed = ran.stdout.split("Commands:", 1)[1].split()
    assert "fetch" in listed and "info" in listed


def test_a_bare_group_under_clirunner_too(invoke):
    assert invoke().code == 0
    assert invoke("data").code == 0


def test_command_summaries_are_whole(invoke):
    """Each summary in `nnviz -h` (and `nnviz data -h`) is a whole sentence, never cut."""
    for args in (("-h",), ("data", "-h")):
        ran = invoke(*args)
        commands = ran.stdout.split("Commands:", 1)[1]
        assert "..." not in commands, commands
        rows = [line.split(None, 1) for line in commands.splitlines() if line.startswith("  ")]
        assert rows
        for name, summary in rows:
            assert summary.rstrip().endswith("."), (name, summary)
