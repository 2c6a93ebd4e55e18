"""``nnviz data``: fetch full MNIST, and show which data sets are available and where."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from nnviz.cli import help_when_bare
from nnviz.cli.jsonl import emit


@click.group(
    "data", invoke_without_command=True, short_help="The data sets nnviz has, and fetching MNIST."
)
@click.pass_context
def data(ctx: click.Context) -> None:
    """Data sets: the bundled MNIST sample, full MNIST, and where nnviz finds them."""
    help_when_bare(ctx)


def _rich_progress():
    """A rich progress bar on stderr, and the callback that feeds it."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, int] = {}

    def update(name: str, done: int, total: int | None) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done, total=total)

    return bar, update


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain_progress():
    """One line on stderr per file, for logs and pipes."""
    seen: set[str] = set()

    def update(name: str, done: int, total: int | None) -> None:
        if name in seen:
            return
        seen.add(name)
        if done and done == total:
            click.echo(f"{name}: already there, checksum good", err=True)
        else:
            size = f" ({total:,} bytes)" if total else ""
            click.echo(f"{name}: downloading{size}", err=True)

    return update


def _json_progress():
    """One file event per file on stdout, for programs."""
    seen: set[str] = set()

    def update(name: str, done: int, total: int | None) -> None:
        if name in seen:
            return
        seen.add(name)
        status = "present" if done and done == total else "downloading"
        emit("file", {"name": name, "status": status, "bytes": total})

    return update


@data.command("fetch", short_help="Download a full data set (MNIST, about 11 MB).")
@click.argument("name", type=click.Choice(["mnist"], case_sensitive=False))
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to put the files in (default: the user cache folder).",
)
@click.option("--base-url", default=None, help="Mirror to download from (a folder URL).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines: a file event each, then fetched."
)
def fetch_command(
    name: str, dest: Path | None, base_url: str | None, timeout: float, as_json: bool
) -> None:
    """Download a full data set (MNIST: four files, about 11 MB) and check its checksums."""
    from nnviz.data import DataError
    from nnviz.data.fetch import DEFAULT_BASE_URL, fetch_mnist

    kwargs = {"base_url": base_url or DEFAULT_BASE_URL, "timeout": timeout}
    try:
        if as_json:
            folder = fetch_mnist(dest, progress=_json_progress(), **kwargs)
        elif _is_terminal(sys.stderr):
            bar, update = _rich_progress()
            with bar:
                folder = fetch_mnist(dest, progress=update, **kwargs)
        else:
            folder = fetch_mnist(dest, progress=_plain_progress(), **kwargs)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        emit("fetched", {"data": name.lower(), "path": str(folder)})
    else:
        click.echo(f"MNIST is in {folder}")


def _collect(data_dir: Path | None) -> dict:
    from nnviz.data import DATA_KINDS, DataError, idx, locations, mnist

    info: dict = {"kinds": list(DATA_KINDS)}
    sample: dict = {"path": str(mnist.SAMPLE_PATH)}
    try:
        sample["train"], sample["test"] = mnist.sample_sizes()
        sample["bytes"] = mnist.SAMPLE_PATH.stat().st_size
    except (DataError, OSError) as exc:
        sample["error"] = str(exc)
    info["sample"] = sample

    places = locations.search(data_dir)
    found = next((p for p in places if p.found), None)
    full: dict = {
        "found": found is not None,
        "path": str(found.folder) if found else None,
        "from": found.origin if found else None,
        "searched": [{"from": p.origin, "path": str(p.folder), "found": p.found} for p in places],
    }
    if found is not None:
        try:
            full["train"] = idx.read_header(found.files["train_images"])[1][0]
            full["test"] = idx.read_header(found.files["test_images"])[1][0]
        except DataError as exc:
            full["error"] = str(exc)
    info["full"] = full
    info["nnviz_data"] = os.environ.get(locations.ENV_VAR) or None
    info["cache_dir"] = str(locations.cache_dir())
    info["mnist_auto"] = "full" if found is not None else "sample"
    return info


def _show(info: dict) -> None:
    echo = click.echo
    sample = info["sample"]
    if "error" in sample:
        echo(f"MNIST sample (bundled): unusable: {sample['error']}")
    else:
        echo(
            f"MNIST sample (bundled): {sample['train']:,} train / {sample['test']:,} test, "
            f"{sample['bytes']:,} bytes"
        )
        echo(f"  {sample['path']}")
    full = info["full"]
    if full["found"]:
        sizes = (
            f"unusable: {full['error']}"
            if "error" in full
            else f"{full['train']:,} train / {full['test']:,} test"
        )
        echo(f"Full MNIST: found ({full['from']}): {sizes}")
        echo(f"  {full['path']}")
    else:
        echo("Full MNIST: not found; looked in:")
        width = max(len(p["from"]) for p in full["searched"])
        for place in full["searched"]:
            echo(f"  {place['from']:<{width}}  {place['path']}")
        echo("  get it with: nnviz data fetch mnist")
    echo(f"NNVIZ_DATA: {info['nnviz_data'] or '(not set)'}")
    echo(f"Cache folder: {info['cache_dir']}")
    auto = "full MNIST" if info["mnist_auto"] == "full" else "the bundled sample"
    echo(f'mnist with source "auto" uses: {auto}')
    echo(f"Data kinds: {', '.join(info['kinds'])}")


@data.command("info", short_help="Which data sets are available, and where.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also look for full MNIST here (first).",
)
@click.option("--json", "as_json", is_flag=True, help="The facts as one JSON line (data_info).")
def info_command(data_dir: Path | None, as_json: bool) -> None:
    """Show which data sets are available and where they are."""
    info = _collect(data_dir)
    if as_json:
        emit("data_info", info)
    else:
        _show(info)
