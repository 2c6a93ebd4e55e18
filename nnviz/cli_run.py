"""`nnviz run [SCENARIO]`: open the explorer (the main CLI attaches this command).

The scenario is loaded and its session built before the app opens, so a bad file gets the
loader's one-line error and exit status 2 instead of a screen. Textual is imported only here,
after those checks.
"""

from __future__ import annotations

import click

from nnviz.cli import complete_scenario, one_line


@click.command("run")
@click.argument("scenario", required=False, default="xor", shell_complete=complete_scenario)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Training seed (overrides the file's)."
)
@click.option(
    "--ascii",
    "ascii_mode",
    is_flag=True,
    help="Draw the regions with one character per class (no colour needed).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=str),
    envvar="NNVIZ_DATA",
    default=None,
    help="Folder of MNIST-format IDX files (also $NNVIZ_DATA).",
)
def run(scenario: str, seed: int | None, ascii_mode: bool, data_dir: str | None) -> None:
    """Step through backpropagation and watch SCENARIO learn (a shipped name or a .toml file;
    default xor)."""
    from nnviz.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
        if seed is not None:
            loaded = loaded.with_overrides(seed=seed)
    except ScenarioError as exc:
        _fail(str(exc))
    try:
        from nnviz.session import build

        session = build(loaded, data_dir=data_dir)
    except ScenarioError as exc:
        _fail(str(exc))
    except (ValueError, OSError) as exc:  # GraphError and DataError are ValueErrors
        _fail(f"{loaded.path.name if loaded.path else scenario}: {exc}")

    from nnviz.tui import make_app

    make_app(scenario, seed=seed, ascii=ascii_mode, data_dir=data_dir, session=session).run()


def _fail(message: str):
    click.echo(f"nnviz: {one_line(message)}", err=True)
    raise SystemExit(2)
