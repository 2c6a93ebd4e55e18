"""The `nnviz` command. Subcommands load lazily, so `nnviz --help` and `nnviz list` stay fast
(neither imports numba nor textual)."""

from __future__ import annotations

import importlib
import json
import sys

import click

from nnviz.errors import InputError

# command name → (module, attribute): imported only when that command runs or is listed.
_COMMANDS = {
    "run": ("nnviz.cli.run", "run"),
    "train": ("nnviz.cli.train", "train"),
    "list": ("nnviz.cli", "list_command"),
    "info": ("nnviz.cli.inspection", "info"),
    "check": ("nnviz.cli.inspection", "check"),
    "trace": ("nnviz.cli.inspection", "trace"),
    "data": ("nnviz.cli.data", "data"),
    "race": ("nnviz.cli.experiments", "race"),
    "sweep": ("nnviz.cli.experiments", "sweep"),
    "cv": ("nnviz.cli.experiments", "cv"),
    "health": ("nnviz.cli.health", "health"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(_COMMANDS)

    def get_command(self, ctx, name):
        if name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def main(self, args=None, prog_name=None, **extra):
        """Every failure is one line on stderr and a non-zero exit, never a traceback."""
        try:
            rv = super().main(args, prog_name or "nnviz", standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("nnviz: aborted", err=True)
            sys.exit(130)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "nnviz"
            click.echo(f"{where}: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"nnviz: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("nnviz: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)
        except InputError as exc:  # the user's input is wrong: say what, briefly
            click.echo(f"nnviz: {one_line(str(exc))}", err=True)
            sys.exit(2)
        sys.exit(rv if isinstance(rv, int) else 0)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def complete_scenario(ctx, param, incomplete):
    from nnviz.scenario import scenario_names

    return [name for name in scenario_names() if name.startswith(incomplete)]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnviz", prog_name="nnviz")
def cli():
    """nnviz: watch a neural network learn, one number at a time.

    \b
    Start here:
      nnviz run xor          step through forward, backward and update of a 2-4-1 net
      nnviz train mnist      train headless, fast
      nnviz list             the shipped scenarios
    """


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(as_json):
    """List the shipped scenarios with their descriptions."""
    from nnviz.scenario import list_scenarios

    rows = list_scenarios()
    if as_json:
        for name, description in rows:
            click.echo(json.dumps({"name": name, "description": description}))
        return
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


def main():
    cli.main()
