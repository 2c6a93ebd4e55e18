"""A run on disk: `nnviz train SCENARIO --record RUN` writes it, `nnviz run --replay RUN` and
`nnviz trace --replay RUN` read it.

The file is an .npz archive (numpy's zip of .npy arrays; nothing in it needs pickle) of four
arrays:

    meta      the description, JSON as UTF-8 bytes: format "nnviz-run", version, the scenario
              file's text with the overrides applied to it, seeds, dtype, optimizer, the data
              set's name and a SHA-256 of its training rows, the steps trained, the spacing
    rows      the history's kept steps: parameters, then each optimizer state array (dtype)
    row_meta  per kept step: step, base rate, rate used, batch loss, epoch sums, flags (float64)
    epochs    per-epoch metrics (nnviz.history.EPOCH_COLS; NaN where missing)

It is written atomically (nnviz.files). Reading checks every size before memory is taken
(nnviz.limits) and refuses a truncated, corrupt, foreign or newer-version file with one line
naming it; a file is only ever read, never written back. Replaying rebuilds the scenario's
session from the text in the file, checks that the data and the network are the run's, and
hands the rows to a Timeline: every step is then the live run's, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.engine.loop import META_COLS, META_STEP, REC_EPOCH
from nnviz.errors import InputError, RecordError
from nnviz.files import atomic_write
from nnviz.history import DEFAULT_BUDGET, EPOCH_COLS, Timeline, present_sums
from nnviz.limits import (
    MAX_ARRAY_BYTES,
    MAX_RECORD_BYTES,
    MAX_RECORD_META_BYTES,
    file_size,
)
from nnviz.npz import read_member

FORMAT = "nnviz-run"
VERSION = 1
MEMBERS = ("meta", "rows", "row_meta", "epochs")


@dataclass(frozen=True)
class RunRecord:
    path: Path
    meta: dict
    rows: np.ndarray
    row_meta: np.ndarray
    epochs: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.meta["steps"])


# ====================================================================== writing
def check_record_path(path: str | Path) -> Path:
    """The file a record goes to; an error before training when it cannot be used."""
    if not str(path).strip():
        raise RecordError("--record: the file name is empty")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RecordError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise RecordError(f"{path}: is a folder, not a file")
    return path


def data_fingerprint(trainer) -> str:
    """SHA-256 of the training rows and targets as the trainer holds them."""
    digest = hashlib.sha256()
    for arr in (trainer.X, trainer.Y):
        digest.update(str(arr.dtype).encode() + str(arr.shape).encode())
        digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def scenario_text(scenario) -> str:
    """The text of the scenario's file (the record keeps it, so a replay needs no file)."""
    path = Path(scenario.path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read the scenario file to record it ({exc})") from None


def save_record(path: str | Path, session, timeline: Timeline, overrides: dict) -> None:
    """Write the run of `session` (its Timeline at the trainer's present) to `path`."""
    path = check_record_path(path)
    trainer = session.trainer
    timeline.record_now(trainer, sums=present_sums(trainer), keep=True)
    sc = session.scenario
    opt = session.optimizer
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "nnviz": _version(),
        "scenario": {"name": sc.name, "file": str(sc.path), "text": scenario_text(sc)},
        "overrides": {k: v for k, v in overrides.items() if v is not None},
        "which": session.datasets.index(next(d for d in session.datasets
                                             if d[1] is session.dataset)),  # fmt: skip
        "seed": trainer.seed,
        "dtype": str(timeline.dtype),
        "optimizer": opt.kind,
        "state": list(timeline.state_names),
        "n_param": timeline.n,
        "width": timeline.width,
        "batches_per_epoch": trainer.batches_per_epoch,
        "epochs": trainer.epochs,
        "steps": trainer.steps,
        "every": timeline.every,
        "epoch_every": int(timeline.ctl[REC_EPOCH]),
        "diverged_step": timeline.diverged_step,
        "frozen": [[first, list(names)] for first, names in timeline.eras],
        "data": {"name": session.dataset.name, "source": session.dataset.source,
                 "rows": int(trainer.X.shape[0]), "sha256": data_fingerprint(trainer)},
        "epoch_columns": list(EPOCH_COLS),
    }  # fmt: skip
    c = timeline.count
    arrays = {
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8),
        "rows": timeline.values[:c],
        "row_meta": timeline.meta[:c],
        "epochs": timeline.epochs.view(),
    }
    try:
        with atomic_write(path) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
            for name, arr in arrays.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(arr),
                                              allow_pickle=False)  # fmt: skip
    except OSError as exc:
        raise RecordError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _version() -> str:
    from nnviz import __version__

    return __version__


# ====================================================================== reading
def read_record(path: str | Path) -> RunRecord:
    """The record in `path`, every part checked; RecordError (one line) when it cannot be."""
    if not str(path).strip():
        raise RecordError("--replay: the file name is empty")
    path = Path(path)
    if not path.exists():
        raise RecordError(f"{path}: no such run record")
    if not path.is_file():
        raise RecordError(f"{path}: not a file")
    file_size(path, MAX_RECORD_BYTES, f"{path}", RecordError)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            names = {n[: -len(".npy")] for n in infos if n.endswith(".npy")}
            if "meta" not in names:
                raise RecordError(f"{path}: not an nnviz run record (no meta array in it)")
            meta = _read_meta(zf, infos["meta.npy"], path)
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise RecordError(f"{path}: the record has no '{missing[0]}' array (truncated?)")
            width = _positive(meta, "width", path)
            rows = _read_array(zf, infos["rows.npy"], path, meta["dtype"], width)
            row_meta = _read_array(zf, infos["row_meta.npy"], path, "float64", META_COLS)
            epochs = _read_array(zf, infos["epochs.npy"], path, "float64", len(EPOCH_COLS))
    except zipfile.BadZipFile as exc:
        if magic.startswith(b"PK"):
            raise RecordError(f"{path}: the record is truncated or corrupt ({exc})") from None
        raise RecordError(f"{path}: not an nnviz run record (not an .npz archive)") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise RecordError(f"{path}: the record is truncated or corrupt ({exc})") from None
    _check_rows(path, meta, rows, row_meta)
    _check_epochs(path, epochs)
    return RunRecord(path, meta, rows, row_meta, epochs)


def _read_meta(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> dict:
    raw = _read_array(zf, info, path, "uint8", None, MAX_RECORD_META_BYTES)
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path}: the record's description is not JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RecordError(f"{path}: not an nnviz run record (its format is not '{FORMAT}')")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise RecordError(f"{path}: the record's version {version!r} is not a version number")
    if version > VERSION:
        raise RecordError(
            f"{path}: written by a newer nnviz (record version {version}; this nnviz reads "
            f"version {VERSION} and older)"
        )
    for key, kind in (("scenario", dict), ("dtype", str), ("steps", int), ("n_param", int),
                      ("batches_per_epoch", int), ("every", int), ("data", dict),
                      ("overrides", dict), ("which", int)):  # fmt: skip
        if not isinstance(meta.get(key), kind):
            raise RecordError(f"{path}: the record's description has no valid '{key}'")
    if meta["dtype"] not in ("float32", "float64"):
        raise RecordError(f"{path}: the record's dtype {meta['dtype']!r} is not float32/float64")
    if not isinstance(meta["scenario"].get("text"), str):
        raise RecordError(f"{path}: the record holds no scenario text")
    return meta


def _positive(meta: dict, key: str, path: Path) -> int:
    value = meta.get(key)
    if not isinstance(value, int) or value < 1:
        raise RecordError(f"{path}: the record's description has no valid '{key}'")
    return value


def _read_array(zf, info, path: Path, dtype: str, cols: int | None,
                limit: int = MAX_ARRAY_BYTES) -> np.ndarray:  # fmt: skip
    """One .npy member of the record, of `dtype` and shape (n,) or (n, cols)."""
    name = info.filename[: -len(".npy")]

    def check(shape: tuple, fortran: bool, got: np.dtype) -> None:
        if got != np.dtype(dtype) or fortran:
            raise RecordError(f"{path}: '{name}' holds {got} values, the record needs {dtype}")
        if cols is None and len(shape) != 1 or cols is not None and (
            len(shape) != 2 or shape[1] != cols
        ):  # fmt: skip
            want = "(n,)" if cols is None else f"(n, {cols})"
            raise RecordError(f"{path}: '{name}' has shape {shape}, the record needs {want}")

    return read_member(zf, info, f"{path}: '{name}'", RecordError, check, limit)


def _check_rows(path: Path, meta: dict, rows: np.ndarray, row_meta: np.ndarray) -> None:
    if len(rows) != len(row_meta) or len(rows) == 0:
        raise RecordError(f"{path}: the record's rows and their steps do not match")
    steps = row_meta[:, META_STEP]
    if steps[0] != 0 or np.any(np.diff(steps) <= 0) or steps[-1] != meta["steps"]:
        raise RecordError(f"{path}: the record's steps are out of order (corrupt)")
    if not np.all(np.isfinite(row_meta[:, 1])):
        raise RecordError(f"{path}: the record's learning rates are not numbers (corrupt)")


def _check_epochs(path: Path, epochs: np.ndarray) -> None:
    numbers = epochs[:, 0]
    if not np.all(np.isfinite(numbers)) or np.any(np.diff(numbers) <= 0):
        raise RecordError(f"{path}: the record's epochs are out of order (corrupt)")


# ====================================================================== replaying
def open_record(record: RunRecord, *, data_dir=None, threads: int | None = 1):
    """(session, timeline) of a record: the scenario rebuilt from the text it holds, the data
    checked against the run's, the Timeline filled from the rows and the trainer put at the
    run's last step. Nothing is written to the record's file."""
    from nnviz.scenario import ScenarioError, parse_scenario
    from nnviz.session import build

    path, meta = record.path, record.meta
    sc_meta = meta["scenario"]
    try:
        scenario = parse_scenario(sc_meta["text"], Path(str(sc_meta.get("file", "run.toml"))))
        scenario = scenario.with_overrides(**_overrides(meta["overrides"]))
    except ScenarioError as exc:
        raise RecordError(f"{path}: the scenario in the record: {exc}") from None
    if scenario.model is None:
        raise RecordError(f"{path}: the record's scenario is an expression graph (no run)")
    try:
        session = build(scenario, data_dir=data_dir, which=meta["which"], threads=threads)
    except InputError as exc:
        raise RecordError(f"{path}: the record's scenario cannot be rebuilt: {exc}") from None
    trainer = session.trainer
    program = session.model.program
    checks = (
        ("dtype", str(program.dtype)),
        ("optimizer", session.optimizer.kind),
        ("n_param", program.n_param),
        ("batches_per_epoch", trainer.batches_per_epoch),
        ("seed", trainer.seed),
    )
    for key, got in checks:
        if meta.get(key) != got:
            raise RecordError(
                f"{path}: the record's {key} is {meta.get(key)!r} but its scenario now gives "
                f"{got!r}"
            )
    if meta["data"].get("sha256") != data_fingerprint(trainer):
        where = meta["data"].get("source", "")
        raise RecordError(
            f"{path}: the training data differ from the run's ({meta['data'].get('name')} "
            f"{where}; --data-dir must name the same files)"
        )
    budget = max(record.rows.nbytes + record.row_meta.nbytes, 1) * 2
    timeline = Timeline(trainer, budget=max(budget, DEFAULT_BUDGET))
    if timeline.width != record.rows.shape[1]:
        raise RecordError(f"{path}: the record's rows do not fit the network")
    timeline.adopt(record.rows, record.row_meta, record.epochs, int(meta["every"]),
                   int(meta.get("epoch_every", 0)))  # fmt: skip
    eras = meta.get("frozen", [[0, []]])
    try:
        timeline.eras = [(int(first), tuple(str(n) for n in names)) for first, names in eras]
        for _, names in timeline.eras:
            for name in names:
                program.param_slice(name)
    except (TypeError, ValueError, InputError):
        raise RecordError(f"{path}: the record's frozen parameters are not its network's") from None
    diverged = meta.get("diverged_step")
    timeline.diverged_step = int(diverged) if isinstance(diverged, int) else None
    timeline.restore(trainer, record.steps)
    trainer.recorder = timeline
    return session, timeline


def _overrides(raw: dict) -> dict:
    allowed = ("epochs", "lr", "batch_size", "optimizer", "seed", "dtype", "validation")
    return {k: raw[k] for k in allowed if k in raw}
