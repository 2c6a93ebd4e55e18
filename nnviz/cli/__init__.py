"""The `nnviz` command. Subcommands load lazily, so `nnviz --help` and `nnviz list` stay fast
(neither imports numba nor textual)."""

from __future__ import annotations

import importlib
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
    "export": ("nnviz.cli.export", "export"),
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
    """Shipped scenario names, then `.toml` files, with the prefix typed; folders too when
    what is typed looks like a path or names no scenario, to walk down to a file."""
    from nnviz.scenario import scenario_names

    names = [name for name in scenario_names() if name.startswith(incomplete)]
    pathlike = incomplete.startswith((".", "~", "/")) or "/" in incomplete
    return names + toml_paths(incomplete, with_folders=pathlike or not names)


def toml_paths(incomplete: str, *, with_folders: bool) -> list[str]:
    """`.toml` files (and folders, ending in /) whose path starts with `incomplete`."""
    from pathlib import Path

    cut = incomplete.rfind("/") + 1
    folder, stem = incomplete[:cut], incomplete[cut:]
    try:
        entries = sorted(Path(folder or ".").expanduser().iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem):
            continue
        try:
            if entry.is_dir():
                if with_folders and entry.name != "__pycache__":
                    out.append(f"{folder}{entry.name}/")
            elif entry.suffix == ".toml":
                out.append(f"{folder}{entry.name}")
        except OSError:
            continue
    return out


def help_when_bare(ctx: click.Context) -> None:
    """A group called with no command prints its help on stdout and exits 0.

    Click 8.2 made a bare group call a usage error (exit 2); `invoke_without_command=True` with
    this check in the group's body gives the same help-and-success under every click version.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        ctx.exit(0)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="nnviz", prog_name="nnviz")
@click.pass_context
def cli(ctx):
    """nnviz: watch a neural network learn, one number at a time.

    \b
    Start here:
      nnviz run xor          step through forward, backward and update of a 2-4-1 net
      nnviz train mnist      train headless, fast
      nnviz list             the shipped scenarios
    """
    help_when_bare(ctx)


@click.command("list", short_help="List the shipped scenarios.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one scenario event each.")
def list_command(as_json):
    """List the shipped scenarios with their descriptions."""
    from nnviz.scenario import list_scenarios, scenario_dir

    rows = list_scenarios()
    if not rows:
        raise click.ClickException(
            f"no shipped scenarios in {scenario_dir()}: nnviz is not fully installed"
        )
    if as_json:
        from nnviz.cli.jsonl import emit

        for name, description in rows:
            emit("scenario", {"name": name, "description": description})
        return
    width = max(len(name) for name, _ in rows)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


def main():
    cli.main()
