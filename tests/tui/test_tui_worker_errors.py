"""A training worker that fails: an input error is said in one line; a bug is said in one line
with its traceback in a log file under the user cache folder; the app keeps running."""

from __future__ import annotations

from pathlib import Path

from tui_helpers import aio, wait_idle, wait_open

from nnviz.errors import InputError
from nnviz.tui import crashlog, make_app


def _failing_run(exc):
    def train_steps(*args, **kwargs):
        raise exc

    return train_steps


def _logged(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.log")) if folder.is_dir() else []


@aio
async def test_the_explorer_logs_a_bug_in_training_and_keeps_running(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    app = make_app("xor", animate=False)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await wait_open(pilot)
        failing = _failing_run(ZeroDivisionError("boom"))
        monkeypatch.setattr(screen.ctl.trainer, "train_steps", failing)
        await pilot.press("P")
        await wait_idle(pilot, screen)
        message = screen.snap.message
        logs = _logged(tmp_path / "nnviz" / "logs")
        assert len(logs) == 1
        assert message.startswith("training failed: ZeroDivisionError: boom (traceback in ")
        assert str(logs[0]) in message
        text = logs[0].read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text and "ZeroDivisionError: boom" in text
        # alive: the keys still work
        await pilot.press("s")
        assert screen.ctl.trainer.steps == 1
        await pilot.press("q")
    assert app.return_code == 0


@aio
async def test_an_input_error_in_training_is_one_line_and_no_log(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    app = make_app("xor", animate=False)
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await wait_open(pilot)
        bad = InputError("data file x.csv: row 3 has 2 columns, expected 3")
        monkeypatch.setattr(screen.ctl.trainer, "train_steps", _failing_run(bad))
        await pilot.press("P")
        await wait_idle(pilot, screen)
        assert screen.snap.message == f"training stopped: {bad}"
        assert not _logged(tmp_path / "nnviz" / "logs")


def test_the_log_falls_back_to_the_temporary_folder(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(crashlog.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    try:
        raise RuntimeError("bug")
    except RuntimeError as exc:
        message = crashlog.failure_message(exc)
    path = Path(message.split("traceback in ", 1)[1].rstrip(")"))
    assert path.parent == tmp_path / "tmp" / "nnviz-logs"
    assert "RuntimeError: bug" in path.read_text(encoding="utf-8")
