"""`nnviz train --save/--load`: a round trip, an atomic write, and one-line errors."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest


def _params(path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_save_load_round_trip(invoke, tmp_path):
    first = tmp_path / "xor.npz"
    ran = invoke("train", "xor", "--epochs", "500", "--save", str(first), "--json")
    assert ran.code == 0, ran.stderr
    trained = ran.json_lines()[-1]
    saved = _params(first)
    assert sorted(saved) == ["W1", "W2", "b1", "b2"]
    assert saved["W1"].shape == (2, 4) and saved["W2"].shape == (4, 1)

    # Loaded and not trained (lr 0): the same weights come back out, bit for bit...
    second = tmp_path / "again.npz"
    ran = invoke(
        "train", "xor", "--epochs", "1", "--lr", "0", "--load", str(first), "--save",
        str(second), "--json",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    again = _params(second)
    assert sorted(again) == sorted(saved)
    for name in saved:
        np.testing.assert_array_equal(again[name], saved[name])
    # ...and give the trained run's loss, not the loss of fresh weights.
    reloaded = ran.json_lines()[-1]
    assert reloaded["final_loss"] == pytest.approx(trained["final_loss"], rel=1e-6)
    fresh = invoke("train", "xor", "--epochs", "1", "--lr", "0", "--json").json_lines()[-1]
    assert fresh["final_loss"] != pytest.approx(trained["final_loss"], rel=1e-3)
    assert _leftovers(tmp_path) == []


def test_a_failing_save_leaves_the_existing_file_untouched(invoke, tmp_path, monkeypatch):
    target = tmp_path / "w.npz"
    target.write_bytes(b"the previous weights")

    def disk_full(fh, **arrays):
        fh.write(b"half a fi")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    line = invoke("train", "xor", "--epochs", "5", "--save", str(target)).assert_one_line_error(2)
    assert str(target) in line and "No space left on device" in line
    assert target.read_bytes() == b"the previous weights"
    assert _leftovers(tmp_path) == []


def test_an_interrupted_save_leaves_the_existing_file_untouched(invoke, tmp_path, monkeypatch):
    target = tmp_path / "w.npz"
    target.write_bytes(b"the previous weights")

    def interrupted(fh, **arrays):
        fh.write(b"half a fi")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    ran = invoke("train", "xor", "--epochs", "5", "--save", str(target))
    # click ends the terminal's "^C" line with a newline, then nnviz says what happened
    assert ran.code == 130
    assert "Traceback" not in ran.stderr
    assert [line for line in ran.stderr.splitlines() if line] == ["nnviz: aborted"]
    assert target.read_bytes() == b"the previous weights"
    assert _leftovers(tmp_path) == []


def test_save_into_a_missing_folder_fails_before_training(invoke, tmp_path):
    target = tmp_path / "nowhere" / "w.npz"
    ran = invoke("train", "xor", "--epochs", "5", "--save", str(target), "--json")
    line = ran.assert_one_line_error(2)
    assert "does not exist" in line
    assert ran.stdout == ""  # refused at once, not after the training it would have thrown away


def _write_npz(path, **arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


GOOD = {
    "W1": np.zeros((2, 4)),
    "b1": np.zeros((1, 4)),
    "W2": np.zeros((4, 1)),
    "b2": np.zeros((1, 1)),
}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "no such weights file"),
        ("corrupt", "not a weights file"),
        ("empty", "not a weights file"),
        ("npy", "not a weights file"),
        ("wrong_shape", "W1 has shape (3, 4), the model needs (2, 4)"),
        ("missing_param", "no parameter 'b2'"),
        ("nan", "W2 holds NaN or infinity"),
    ],
)
def test_load_of_a_bad_file_is_a_one_line_error(invoke, tmp_path, case, expected):
    path = tmp_path / f"{case}.npz"
    if case == "corrupt":
        path.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "npy":
        path = tmp_path / "one.npy"
        np.save(path, np.zeros((2, 4)))
    elif case == "wrong_shape":
        _write_npz(path, **{**GOOD, "W1": np.zeros((3, 4))})
    elif case == "missing_param":
        _write_npz(path, **{k: v for k, v in GOOD.items() if k != "b2"})
    elif case == "nan":
        _write_npz(path, **{**GOOD, "W2": np.full((4, 1), np.nan)})
    line = invoke("train", "xor", "--epochs", "1", "--load", str(path)).assert_one_line_error(2)
    assert str(path) in line
    assert expected in line


def test_load_of_a_good_hand_made_file_works(invoke, tmp_path):
    path = _write_npz(tmp_path / "zeros.npz", **GOOD)
    ran = invoke("train", "xor", "--epochs", "1", "--lr", "0", "--load", str(path), "--json")
    assert ran.code == 0, ran.stderr
    # all-zero weights: every output is sigmoid(0) = 0.5, so the loss is log 2
    assert ran.json_lines()[-1]["final_loss"] == pytest.approx(np.log(2), rel=1e-5)


def test_load_errors_in_a_real_process_are_one_line(nnviz_process, tmp_path):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"\x00garbage")
    ran = nnviz_process("train", "xor", "--epochs", "1", "--load", str(corrupt))
    line = ran.assert_one_line_error(2)
    assert line.startswith("nnviz: ") and "not a weights file" in line


def test_a_scenario_over_several_data_sets_saves_one_file_each(invoke, tmp_path):
    target = tmp_path / "w.npz"
    ran = invoke("train", "perceptron-step", "--json", "--save", str(target))
    assert ran.code == 0, ran.stderr
    saved = [row["saved"] for row in ran.json_lines() if "saved" in row]
    assert saved == [str(tmp_path / f"w-{gate}.npz") for gate in ("or", "and", "xor")]
    assert all(Path(p).is_file() for p in saved)
    assert not target.exists()
