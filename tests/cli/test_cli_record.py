"""`nnviz train --record` and `nnviz trace --replay`: a recorded run gives the live run's
numbers bit for bit; a bad record gets one line naming the file and is never written to."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

DIVERGING = ("sine", "--optimizer", "sgd", "--lr", "3")  # stops at step 28


def _record(invoke, tmp_path, *scenario, name="run.npz"):
    path = tmp_path / name
    ran = invoke("train", *scenario, "--record", str(path), "-q")
    return path, ran


@pytest.mark.parametrize("scenario", [("xor", "--epochs", "40"), ("circles", "--epochs", "3")])
def test_a_replayed_step_equals_the_live_trace_bit_for_bit(invoke, tmp_path, scenario):
    path, ran = _record(invoke, tmp_path, *scenario)
    assert ran.code == 0, ran.stderr
    steps = 40 if scenario[0] == "xor" else 12
    for n in (0, 1, 7, steps):
        live = invoke("trace", *scenario, "--steps", str(n), "--json")
        replay = invoke("trace", "--replay", str(path), "--steps", str(n), "--json")
        assert live.code == replay.code == 0, replay.stderr
        assert json.loads(live.stdout) == json.loads(replay.stdout)
    many = invoke("trace", "--replay", str(path), "--steps", "2:4", "--json")
    assert [json.loads(line)["step"] for line in many.stdout.splitlines()] == [2, 3, 4]


def test_the_record_is_a_plain_npz_with_json_metadata(invoke, tmp_path):
    path, _ = _record(invoke, tmp_path, "xor", "--epochs", "25")
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes())
        assert meta["format"] == "nnviz-run" and meta["version"] == 1
        assert meta["steps"] == 25 and meta["overrides"] == {"epochs": 25}
        assert z["rows"].shape == (26, meta["width"]) and len(z["epochs"]) == 25
        assert 'name = "xor"' in meta["scenario"]["text"]


def test_a_diverged_run_is_recorded_and_its_last_step_traced(invoke, tmp_path):
    path, ran = _record(invoke, tmp_path, *DIVERGING)
    assert ran.code == 1 and "step 28" in ran.stderr
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes())
    assert meta["steps"] == 27 and meta["diverged_step"] == 28
    replay = invoke("trace", "--replay", str(path), "--steps", "28", "--json")
    live = invoke("trace", *DIVERGING, "--steps", "28", "--json")
    assert json.loads(replay.stdout) == json.loads(live.stdout)
    assert json.loads(replay.stdout)["nonfinite"] is True
    beyond = invoke("trace", "--replay", str(path), "--steps", "29")
    assert beyond.code == 2 and "step 28" in beyond.stderr


def _one_line(ran, path) -> str:
    assert ran.code == 2, (ran.code, ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert str(path) in lines[0]
    return lines[0]


def _rewrite_meta(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "meta.npy":
                import io

                meta = json.loads(np.load(io.BytesIO(data)).tobytes())
                change(meta)
                buf = io.BytesIO()
                np.save(buf, np.frombuffer(json.dumps(meta).encode(), np.uint8))
                data = buf.getvalue()
            zout.writestr(info.filename, data)


def _rewrite_epochs(src, dst, change):
    import io

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "epochs.npy":
                table = np.load(io.BytesIO(data))
                change(table)
                buf = io.BytesIO()
                np.save(buf, table)
                data = buf.getvalue()
            zout.writestr(info.filename, data)


def _bad_records(tmp_path, good):
    raw = good.read_bytes()
    out = {}
    out["truncated"] = raw[: len(raw) // 2]
    corrupt = bytearray(raw)
    start = raw.index(b"rows.npy") + 400
    corrupt[start : start + 32] = bytes(32)  # inside the rows' data: a CRC mismatch
    out["corrupt"] = bytes(corrupt)
    out["foreign"] = b"name = 'not a run'\n"
    buf = tmp_path / "weights.npz"
    np.savez(buf, W1=np.zeros((2, 4)))
    out["weights"] = buf.read_bytes()
    newer = tmp_path / "newer-src.npz"
    _rewrite_meta(good, newer, lambda m: m.update(version=2))
    out["newer"] = newer.read_bytes()
    other = tmp_path / "other-src.npz"
    _rewrite_meta(good, other, lambda m: m.update(format="something-else"))
    out["other format"] = other.read_bytes()
    steps = tmp_path / "steps-src.npz"
    _rewrite_meta(good, steps, lambda m: m.update(steps=10**6))
    out["steps"] = steps.read_bytes()
    epochs = tmp_path / "epochs-src.npz"
    _rewrite_epochs(good, epochs, lambda table: table.__setitem__((3, 0), 1.0))
    out["epochs"] = epochs.read_bytes()
    return out


EXPECTED = {
    "truncated": "truncated or corrupt",
    "corrupt": "truncated or corrupt",
    "foreign": "not an nnviz run record",
    "weights": "not an nnviz run record",
    "newer": "newer nnviz",
    "other format": "not an nnviz run record",
    "steps": "out of order",
    "epochs": "epochs are out of order",
}


@pytest.mark.parametrize("command", ["trace", "run"])
def test_a_bad_record_is_one_line_naming_the_file_and_left_alone(invoke, tmp_path, command):
    good, _ = _record(invoke, tmp_path, "xor", "--epochs", "30")
    for what, data in _bad_records(tmp_path, good).items():
        path = tmp_path / f"bad-{what.replace(' ', '-')}.npz"
        path.write_bytes(data)
        before = path.stat().st_mtime_ns
        args = ["--replay", str(path)] + (["--steps", "3"] if command == "trace" else [])
        line = _one_line(invoke(command, *args), path)
        assert EXPECTED[what] in line, (what, line)
        assert path.read_bytes() == data and path.stat().st_mtime_ns == before


def test_a_missing_record_and_a_bad_record_path(invoke, tmp_path):
    missing = tmp_path / "none.npz"
    assert "no such run record" in _one_line(invoke("trace", "--replay", str(missing)), missing)
    folder = tmp_path / "no" / "run.npz"
    ran = invoke("train", "xor", "--record", str(folder))
    assert ran.code == 2 and "does not exist" in ran.stderr


def test_replay_takes_no_scenario_or_overrides(invoke, tmp_path):
    good, _ = _record(invoke, tmp_path, "xor", "--epochs", "5")
    ran = invoke("trace", "xor", "--replay", str(good))
    assert ran.code == 2 and "SCENARIO" in ran.stderr
    ran = invoke("trace", "--replay", str(good), "--lr", "2")
    assert ran.code == 2 and "--lr" in ran.stderr


def test_the_first_nan_of_a_recorded_run_and_the_json_schema(invoke, tmp_path):
    from nnviz.schema.check import check_lines

    path, ran = _record(invoke, tmp_path, *DIVERGING)
    out = invoke("trace", "--replay", str(path), "--nonfinite")
    assert out.code == 0 and "step 28" in out.stdout and "learning rate" in out.stdout
    line = invoke("trace", "--replay", str(path), "--nonfinite", "--json")
    assert check_lines(line.stdout) == []
    found = json.loads(line.stdout)
    assert found["found"] and found["step"] == 28 and found["phase"] == "forward"
    steps = invoke("trace", "--replay", str(path), "--steps", "27:28", "--json")
    assert check_lines(steps.stdout) == []
    good, _ = _record(invoke, tmp_path, "xor", "--epochs", "5", name="ok.npz")
    none = json.loads(invoke("trace", "--replay", str(good), "--nonfinite", "--json").stdout)
    assert none == {"event": "nonfinite", "schema": 1, "scenario": "xor", "found": False,
                    "nonfinite": False}  # fmt: skip
    trained = invoke("train", "xor", "--epochs", "5", "--record", str(good), "--json")
    assert check_lines(trained.stdout) == []
    assert trained.events("trained")[0]["recorded"] == str(good)
    assert invoke("trace", "xor", "--nonfinite").code == 2
