#!/usr/bin/env python3
"""nnviz side by side with the PyTorch-eager and numpy peers, in one run on one machine.

Usage:
    python benchmarks/compare.py [w1 w2 w3 w4 w5] [--peers-python PY] [--peers-dir DIR]
                                 [--fmnist DIR] [--repeats N] [--mnist-epochs N] [--json]

The peers (``bench_torch.py``, ``bench_numpy.py`` from ``../shared/peers`` beside the repo) run
in a subprocess with their own python (a venv holding torch, numpy and threadpoolctl); their
JSON results are collected from a temporary folder. nnviz then runs the same workloads through
its CLI (``nnviz train SCENARIO ... --bench --json``). Both sides get the same thread settings.
Figures are reported as ratios against PyTorch, which is what the targets are stated in.

Only the standard library is used here: every measured program runs in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PEERS_DIR = REPO.parent / "shared" / "peers"
DEFAULT_PEERS_PYTHON = REPO.parent / "peers-venv" / "bin" / "python"
DEFAULT_FMNIST_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)
FMNIST_FILE = "train-images-idx3-ubyte.gz"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
NNVIZ_KEYS = (
    "scenario",
    "epochs",
    "steps",
    "samples",
    "compile_s",
    "train_s",
    "s_per_epoch",
    "samples_per_s",
    "steps_per_s",
    "final_loss",
    "train_accuracy",
    "test_accuracy",
    "seed",
    "dtype",
)
SUBPROCESS_TIMEOUT_S = 3600
# Share of the machine's CPU time taken by other processes above which a figure is flagged.
BUSY_LIMIT = 0.10
WALL_TARGETS = {"help": 0.3, "train_xor_1": 1.5}


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    unit: str  # unit of the compared figure
    higher_is_better: bool  # True: nnviz/torch >= target; False: nnviz/torch <= target
    target: float
    scenario: str
    args: tuple[str, ...]  # nnviz train options that pin the workload
    mnist: bool = False
    # result check: (peer result key, nnviz result key, label)
    check: tuple[str, str, str] = ("final_loss", "final_loss", "final loss")


WORKLOADS = {
    w.key: w
    for w in (
        Workload(
            "w1",
            "W1 XOR 2-4-1, SGD, 10k steps",
            "steps/s",
            True,
            250.0,
            "xor",
            ("--epochs", "10000", "--lr", "0.5", "--optimizer", "sgd"),
        ),
        Workload(
            "w2",
            "W2 circles 2-4-1, Adam, 1000 ep",
            "epochs/s",
            True,
            40.0,
            "circles",
            ("--epochs", "1000", "--lr", "0.03", "--batch-size", "100", "--optimizer", "adam"),
            check=("train_acc", "train_accuracy", "train accuracy"),
        ),
        Workload(
            "w3",
            "W3 FMNIST 784-100s-10, Adam",
            "s/epoch",
            False,
            0.45,
            "mnist",
            ("--lr", "0.001", "--batch-size", "100", "--optimizer", "adam"),
            mnist=True,
            check=("test_acc", "test_accuracy", "test accuracy"),
        ),
        Workload(
            "w4",
            "W4 FMNIST 784-512r-10, RMSprop",
            "s/epoch",
            False,
            0.70,
            "mnist-relu",
            ("--lr", "0.001", "--batch-size", "128", "--optimizer", "rmsprop"),
            mnist=True,
            check=("test_acc", "test_accuracy", "test accuracy"),
        ),
        Workload(
            "w5",
            "W5 FMNIST conv8@5x5-pool-10, Adam",
            "s/epoch",
            False,
            1.0,
            str(REPO / "benchmarks" / "w5-cnn.toml"),
            ("--lr", "0.001", "--batch-size", "100", "--optimizer", "adam"),
            mnist=True,
            check=("test_acc", "test_accuracy", "test accuracy"),
        ),
    )
}
# Every side a workload can be measured on; the hand-fused numba loop has W1 and W2 only.
SIDES = ("torch", "numpy", "numba_fused", "nnviz")
FUSED_WORKLOADS = ("w1", "w2")
# The `impl` a peer script writes into its results, when it differs from its file's name.
PEER_IMPL = {"numba_fused": "numba"}
# Steps per epoch that each workload must report (a check that nnviz ran the same work).
STEPS_PER_EPOCH = {"w1": 1, "w2": 4, "w3": 600, "w4": 469, "w5": 600}
# The GEMMs of one training step that roofline.py times at each workload's own shapes (its
# shape names start with the workload): an epoch cannot take less than the steps times their
# sum. The small GEMMs (the 10-class output layer) and everything that is not a GEMM are the
# rest of an epoch's time.
ROOFLINE_WORKLOADS = ("w3", "w4", "w5")


class BenchError(RuntimeError):
    """A benchmark could not be run; the message says why and what to do."""


@dataclass
class Row:
    workload: Workload
    torch: float | None = None
    numpy: float | None = None
    numba_fused: float | None = None  # the hand-fused numba loop (W1, W2 only)
    nnviz: float | None = None
    compile_cold_s: float | None = None
    compile_warm_s: float | None = None
    bound: float | None = None  # the GEMM lower bound, s/epoch (W3-W5, roofline.py numpy)
    checks: dict = field(default_factory=dict)
    others_cpu: dict = field(default_factory=dict)  # phase -> share of CPUs used by others
    nnviz_runs: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error: str | None = None
    # one {"torch": …, "numpy": …, "numba_fused": …, "nnviz": …} per round (--rounds)
    rounds: list = field(default_factory=list)

    def note_others(self, phase: str, share: float | None) -> None:
        """Keep the largest share of the CPUs other processes used over the rounds."""
        if share is not None:
            self.others_cpu[phase] = max(share, self.others_cpu.get(phase) or 0.0)
        else:
            self.others_cpu.setdefault(phase, None)

    def end_round(self) -> None:
        self.rounds.append({side: getattr(self, side) for side in SIDES})

    def combine_rounds(self) -> None:
        """Each side's figure becomes its median over the rounds."""
        for side in SIDES:
            values = [r[side] for r in self.rounds if r[side] is not None]
            setattr(self, side, statistics.median(values) if values else None)

    @property
    def round_ratios(self) -> list[float]:
        return [r["nnviz"] / r["torch"] for r in self.rounds if r["nnviz"] and r["torch"]]

    @property
    def ratio(self) -> float | None:
        # Several rounds: the median of the ratios of each round's back-to-back pair, so that
        # a slow spell on the machine hits both sides of one ratio.
        if len(self.rounds) > 1:
            ratios = self.round_ratios
            return statistics.median(ratios) if ratios else None
        if self.torch is None or self.nnviz is None or self.torch == 0:
            return None
        return self.nnviz / self.torch

    @property
    def cost_vs_fused(self) -> float | None:
        """nnviz's time per step (or epoch) over the hand-fused loop's, median of the rounds."""
        pairs = [
            (r["nnviz"], r["numba_fused"]) for r in self.rounds if r["nnviz"] and r["numba_fused"]
        ]
        if not pairs:
            return None
        if self.workload.higher_is_better:  # a rate: cost is its inverse
            return statistics.median(fused / mine for mine, fused in pairs)
        return statistics.median(mine / fused for mine, fused in pairs)

    @property
    def over_bound(self) -> float | None:
        """nnviz's s/epoch over the GEMM lower bound of its workload (aim: ≤ 1.5×)."""
        if self.bound is None or self.nnviz is None or self.bound <= 0:
            return None
        return self.nnviz / self.bound

    @property
    def passed(self) -> bool | None:
        r = self.ratio
        if r is None:
            return None
        return (
            r >= self.workload.target
            if self.workload.higher_is_better
            else r <= self.workload.target
        )


# ---------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def bench_env(threads: int, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PEERS_THREADS"] = str(threads)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


def find_fmnist(arg: str | None) -> Path | None:
    candidates = []
    if arg:
        candidates.append(Path(arg))
    elif os.environ.get("FASHION_MNIST_DIR"):
        candidates.append(Path(os.environ["FASHION_MNIST_DIR"]))
    else:
        try:
            out = subprocess.run(
                ["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True, timeout=30
            ).stdout
            candidates += [Path(p).parent for p in out.splitlines() if p.endswith(FMNIST_FILE)]
        except (OSError, subprocess.SubprocessError):
            pass
        candidates += DEFAULT_FMNIST_DIRS
    for c in candidates:
        if (c / FMNIST_FILE).is_file():
            return c.resolve()
    return None


def find_nnviz(arg: str | None) -> str | None:
    if arg:
        return arg if (Path(arg).is_file() or shutil.which(arg)) else None
    local = REPO / ".venv" / "bin" / "nnviz"
    if local.is_file():
        return str(local)
    return shutil.which("nnviz")


def tail(text: str, n: int = 15) -> str:
    lines = (text or "").strip().splitlines()
    return "\n".join("    " + ln for ln in lines[-n:])


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_busy_s() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux), summed over CPUs."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = vals[3] + vals[4]  # idle + iowait
    return (sum(vals) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


class OthersMeter:
    """Share of the machine's CPU capacity used by other processes while the block ran."""

    def __enter__(self):
        self.t0, self.m0, self.c0 = time.perf_counter(), machine_busy_s(), own_cpu_s()
        self.share = None
        return self

    def __exit__(self, *exc):
        m1 = machine_busy_s()
        wall = time.perf_counter() - self.t0
        if self.m0 is not None and m1 is not None and wall > 0:
            others = (m1 - self.m0) - (own_cpu_s() - self.c0)
            self.share = max(0.0, others) / (wall * (os.cpu_count() or 1))
        return False


def wait_quiet(max_wait_s: float) -> float | None:
    """Wait (up to max_wait_s) until other processes use under BUSY_LIMIT of the CPUs."""
    deadline = time.perf_counter() + max_wait_s
    said = False
    while True:
        with OthersMeter() as m:
            time.sleep(1.0)
        if m.share is None or m.share < BUSY_LIMIT or time.perf_counter() >= deadline:
            return m.share
        if not said:
            log(
                f"machine busy ({m.share:.0%} of CPUs used by others): "
                f"waiting up to {max_wait_s:.0f} s"
            )
            said = True


# ---------------------------------------------------------------- peers


def check_peers_python(py: str) -> str:
    code = "import torch, numpy, threadpoolctl; print(torch.__version__)"
    try:
        r = subprocess.run([py, "-c", code], capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise BenchError(
            f"peers python {py!r} cannot be run ({e}).\n  Make one outside the repo:\n"
            "    python3 -m venv /work/peers-venv && "
            "/work/peers-venv/bin/pip install torch==2.13.0 numpy threadpoolctl\n"
            "  and pass --peers-python /work/peers-venv/bin/python"
        ) from e
    if r.returncode != 0:
        raise BenchError(
            f"peers python {py!r} lacks torch/numpy/threadpoolctl:\n{tail(r.stderr, 5)}\n"
            "  Install them into it: pip install torch==2.13.0 numpy threadpoolctl "
            "(torch==2.13.0 is the CPU wheel; never plain torch)"
        )
    return r.stdout.strip()


def run_peer(impl: str, py: str, peers_dir: Path, which: list[str], env: dict) -> dict:
    """Run bench_<impl>.py on `which`; returns its results JSON (results written to a temp dir)."""
    with tempfile.TemporaryDirectory(prefix=f"nnviz-peers-{impl}-") as out:
        env = dict(env, PEERS_RESULTS_DIR=out)
        cmd = [py, str(peers_dir / f"bench_{impl}.py"), *which]
        log(f"running {impl} peer: {' '.join(cmd)}")
        r = subprocess.run(
            cmd,
            cwd=peers_dir,
            env=env,
            stdout=sys.stderr,
            stderr=sys.stderr,
            timeout=SUBPROCESS_TIMEOUT_S,
        )
        if r.returncode != 0:
            raise BenchError(f"{impl} peer exited with status {r.returncode}")
        path = Path(out) / f"{impl}.json"
        if not path.is_file():
            raise BenchError(f"{impl} peer wrote no {path.name}")
        return json.loads(path.read_text())


def run_roofline(py: str, peers_dir: Path, env: dict) -> list[dict]:
    """Time the workloads' GEMM shapes with numpy (roofline.py), at the threads in `env`."""
    with tempfile.TemporaryDirectory(prefix="nnviz-peers-roofline-") as out:
        cmd = [py, str(peers_dir / "roofline.py"), "numpy"]
        log(f"running the GEMM roofline: {' '.join(cmd)}")
        r = subprocess.run(
            cmd,
            cwd=peers_dir,
            env=dict(env, PEERS_RESULTS_DIR=out),
            stdout=sys.stderr,
            stderr=sys.stderr,
            timeout=SUBPROCESS_TIMEOUT_S,
        )
        if r.returncode != 0:
            raise BenchError(f"roofline.py exited with status {r.returncode}")
        path = Path(out) / "roofline_numpy.json"
        if not path.is_file():
            raise BenchError(f"roofline.py wrote no {path.name}")
        return json.loads(path.read_text()).get("gemm", [])


def gemm_bound(gemms: list[dict], key: str, threads: int) -> float | None:
    """s/epoch that the GEMMs of workload `key` alone take: steps × Σ over its shapes of the
    best time roofline.py measured with at most `threads` threads (one thread can be the
    faster for small shapes)."""
    best: dict[str, float] = {}
    for g in gemms:
        shape = g.get("shape", "")
        if shape.split()[0].lower() != key or g.get("threads", 0) > threads:
            continue
        best[shape] = min(best.get(shape, float("inf")), g["best_s"])
    return STEPS_PER_EPOCH[key] * sum(best.values()) if best else None


def peer_results(payload: dict, impl: str) -> dict:
    """Main result per workload key ('w1'..) of one peer, without its one-off DataLoader runs."""
    out = {}
    for r in payload.get("results", []):
        if r.get("impl") != PEER_IMPL.get(impl, impl) or "DataLoader" in r.get("variant", ""):
            continue
        key = r["workload"].split()[0].lower()
        out.setdefault(key, r)
    return out


def peer_figure(w: Workload, r: dict | None) -> float | None:
    if r is None:
        return None
    if w.unit == "s/epoch":  # one timed call = one epoch of `work` samples
        return r["work"] / r["throughput_median"]
    return r["throughput_median"]  # steps/s (W1) or epochs/s (W2)


# ---------------------------------------------------------------- nnviz


def parse_nnviz_json(stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise BenchError(f"last output line is not JSON: {line[:200]!r}") from e
        if not isinstance(obj, dict):
            raise BenchError(f"last output line is not a JSON object: {line[:200]!r}")
        missing = [k for k in NNVIZ_KEYS if k not in obj]
        if missing:
            raise BenchError(f"nnviz --bench --json result lacks keys {missing}")
        return obj
    raise BenchError("nnviz printed nothing on stdout")


def run_nnviz(nnviz: str, args: list[str], env: dict) -> dict:
    cmd = [nnviz, "train", *args, "--bench", "--json", "--quiet"]
    log("running " + " ".join(cmd))
    try:
        r = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S
        )
    except OSError as e:
        raise BenchError(f"cannot run {nnviz}: {e}") from e
    if r.returncode != 0:
        raise BenchError(
            f"`{' '.join(cmd)}` exited with status {r.returncode}:\n{tail(r.stderr or r.stdout)}"
        )
    return parse_nnviz_json(r.stdout)


def nnviz_figure(w: Workload, res: dict) -> float:
    if w.key == "w1":
        return float(res["steps_per_s"])
    if w.key == "w2":
        return 1.0 / float(res["s_per_epoch"])
    # W3-W5: the median of the epochs after the first, as the peers time theirs
    timed = res.get("epoch_s", [])[1:]
    return statistics.median(timed) if timed else float(res["s_per_epoch"])


def check_work(w: Workload, res: dict, epochs: int) -> list[str]:
    """Warnings when nnviz's result does not describe the same work as the peers'."""
    warns = []
    want_steps = epochs * STEPS_PER_EPOCH[w.key]
    if res.get("epochs") != epochs:
        warns.append(f"epochs {res.get('epochs')} != {epochs}")
    if res.get("steps") != want_steps:
        warns.append(f"steps {res.get('steps')} != {want_steps}")
    if res.get("dtype") != "float32":
        warns.append(f"dtype {res.get('dtype')} != float32")
    for opt, key in (("--optimizer", "optimizer"), ("--batch-size", "batch_size")):
        if opt in w.args and key in res:  # only checked when nnviz reports it
            want = w.args[w.args.index(opt) + 1]
            if str(res[key]) != want:
                warns.append(f"{key} {res[key]} != {want}")
    return warns


def bench_nnviz_workload(
    row: Row, nnviz: str, env: dict, repeats: int, mnist_epochs: int, fmnist: Path | None
) -> None:
    w = row.workload
    common = ["--seed", "0", "--dtype", "float32"]
    if w.mnist:
        if fmnist is None:
            raise BenchError("Fashion-MNIST folder not found (pass --fmnist DIR)")
        common += ["--data-dir", str(fmnist)]
        # Warm-up run (cold compile), then one timed run with as many epochs as the peers
        # train (one untimed warm-up epoch + the timed ones).
        epochs = mnist_epochs + 1
        warm = run_nnviz(nnviz, [w.scenario, *w.args, *common, "--epochs", "1"], env)
        if row.compile_cold_s is None:  # the first round's is the cold compile
            row.compile_cold_s = warm["compile_s"]
        res = run_nnviz(nnviz, [w.scenario, *w.args, *common, "--epochs", str(epochs)], env)
        runs = [res]
    else:
        epochs = int(w.args[w.args.index("--epochs") + 1])
        argv = [w.scenario, *w.args, *common]
        cold = run_nnviz(nnviz, argv, env)
        if row.compile_cold_s is None:
            row.compile_cold_s = cold["compile_s"]
        runs = [run_nnviz(nnviz, argv, env) for _ in range(repeats)]
    row.nnviz_runs += runs
    row.compile_warm_s = min(r["compile_s"] for r in row.nnviz_runs)
    for r in runs:
        for msg in check_work(w, r, epochs):
            if msg not in row.warnings:
                row.warnings.append(msg)
    figures = [nnviz_figure(w, r) for r in runs]
    row.nnviz = statistics.median(figures)
    row.checks["nnviz"] = runs[-1].get(w.check[1])


def wall_clock(cmd: list[str], env: dict, runs: int) -> dict:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600
        )
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            raise BenchError(
                f"`{' '.join(cmd)}` exited with status {r.returncode}:\n{tail(r.stderr)}"
            )
    return {"best_s": min(times), "median_s": statistics.median(times), "times_s": times}


# ---------------------------------------------------------------- report


def fmt_figure(unit: str, v: float | None) -> str:
    if v is None:
        return "-"
    if unit == "s/epoch":
        return f"{v:.3f} s/ep"
    return f"{v:,.0f} {unit}"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    if r >= 10:
        return f"{r:,.0f}x"
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def fmt_num(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells):
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def verdict(p: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "-"}[p]


def render(report: dict, rows: list[Row]) -> str:
    out = []
    m = report["settings"]
    out.append(
        f"nnviz vs peers  ({m['machine']}, {m['cpus']} cpus, {m['threads']} threads; "
        f"W1/W2 median of {m['repeats']} runs, W3-W5 {m['mnist_epochs']} timed epochs"
        + (
            f"; {m['rounds']} rounds, medians and the median ratio"
            if m.get("rounds", 1) > 1
            else ""
        )
        + ")"
    )
    out.append(f"load average at start {m.get('loadavg_start')}, end {m.get('loadavg_end')}")
    out.append("")
    body = []
    many_rounds = m.get("rounds", 1) > 1
    for r in rows:
        w = r.workload
        target = ("≥ " if w.higher_is_better else "≤ ") + fmt_ratio(w.target)
        res = "ERROR" if r.error else verdict(r.passed)
        busy = [v for v in r.others_cpu.values() if v is not None]
        ratios = r.round_ratios
        spread = f"{fmt_ratio(min(ratios))}–{fmt_ratio(max(ratios))}" if ratios else "-"
        body.append(
            [
                w.title,
                fmt_figure(w.unit, r.torch),
                fmt_figure(w.unit, r.numpy),
                fmt_figure(w.unit, r.numba_fused),
                fmt_figure(w.unit, r.nnviz),
                fmt_ratio(r.ratio),
                fmt_ratio(r.cost_vs_fused),
                fmt_ratio(r.over_bound),
                target,
                res,
                f"{max(busy):.0%}" if busy else "-",
            ]
            + ([spread] if many_rounds else [])
        )
    out.append(
        table(
            ["workload", "torch", "numpy", "fused", "nnviz", "nnviz/torch", "cost/fused"]
            + ["/bound", "target", "result", "others"]
            + (["rounds' ratios"] if many_rounds else []),
            body,
            right={1, 2, 3, 4, 5, 6, 7, 10, 11},
        )
    )
    out.append("others: most CPU share used by other processes while this workload was measured")
    out.append(
        "fused: the hand-fused numba loop (bench_numba_fused.py, W1 and W2); cost/fused: "
        "nnviz's time per step over its (aim: ≤ 1.5× on W1)"
    )
    bounds = [r for r in rows if r.bound is not None]
    if bounds:
        out.append(
            "/bound: nnviz's s/epoch over the GEMM lower bound, steps × the best numpy time "
            "(1 or 2 threads) of the workload's big GEMM shapes (roofline.py; aim: ≤ 1.5×): "
            + ", ".join(f"{r.workload.key.upper()} {r.bound:.3f} s" for r in bounds)
        )

    check_rows = [
        [
            r.workload.key.upper(),
            r.workload.check[2],
            fmt_num(r.checks.get("torch")),
            fmt_num(r.checks.get("numpy")),
            fmt_num(r.checks.get("nnviz")),
            fmt_num(r.compile_cold_s),
            fmt_num(r.compile_warm_s),
        ]
        for r in rows
    ]
    out.append("")
    out.append(
        table(
            ["", "result check", "torch", "numpy", "nnviz", "compile cold s", "compile warm s"],
            check_rows,
            right={2, 3, 4, 5, 6},
        )
    )

    wall = report.get("wall_clock") or {}
    if wall:
        wrows = []
        labels = {"help": "nnviz --help", "train_xor_1": "nnviz train xor --epochs 1 (warm)"}
        for k, label in labels.items():
            v = wall.get(k)
            if v is None:
                continue
            wrows.append(
                [label, f"{v['best_s']:.3f} s", f"< {WALL_TARGETS[k]} s", verdict(v["passed"])]
            )
        out.append("")
        out.append(table(["wall clock (best)", "time", "target", "result"], wrows, right={1}))

    notes = [f"{r.workload.key.upper()}: {msg}" for r in rows for msg in r.warnings]
    for r in rows:
        busy = {k: v for k, v in r.others_cpu.items() if v is not None and v > BUSY_LIMIT}
        if busy:
            who = ", ".join(f"{v:.0%} during {k}" for k, v in busy.items())
            notes.append(
                f"{r.workload.key.upper()}: other processes used the CPUs ({who}); "
                "its figures are unreliable: rerun on a quiet machine (or --wait-quiet S)"
            )
    notes += [f"{r.workload.key.upper()}: {r.error}" for r in rows if r.error]
    notes += report.get("errors", [])
    if notes:
        out.append("")
        out += ["note: " + n for n in notes]
    return "\n".join(out)


# ---------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark nnviz side by side with the PyTorch and numpy peers.",
    )
    p.add_argument("workloads", nargs="*", metavar="wN", help="w1 w2 w3 w4 w5 (default: all)")
    p.add_argument(
        "--peers-python",
        default=os.environ.get("NNVIZ_PEERS_PYTHON", str(DEFAULT_PEERS_PYTHON)),
        help="python with torch==2.13.0, numpy, threadpoolctl (default: %(default)s)",
    )
    p.add_argument(
        "--peers-dir", default=str(DEFAULT_PEERS_DIR), help="peer scripts (default: %(default)s)"
    )
    p.add_argument("--fmnist", help="Fashion-MNIST IDX folder (default: FASHION_MNIST_DIR, dpkg)")
    p.add_argument(
        "--repeats", type=int, default=5, help="timed runs of W1/W2 per implementation (default 5)"
    )
    p.add_argument(
        "--mnist-epochs", type=int, default=4, help="timed epochs of W3-W5 (default 4, +1 warm-up)"
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure each workload N times, peers and nnviz back to back each time; report "
        "the medians and the median of the rounds' ratios (default 1)",
    )
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP/Numba threads (default 2)")
    p.add_argument("--wall-runs", type=int, default=5, help="runs per wall-clock figure (best of)")
    p.add_argument("--nnviz", help="nnviz command (default: the repo's .venv/bin/nnviz, then PATH)")
    p.add_argument(
        "--numba-cache-dir",
        help="NUMBA_CACHE_DIR for nnviz (default: a fresh temp folder, so compile is cold first)",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="S",
        help="before each program, wait up to S seconds for other processes to go quiet",
    )
    p.add_argument("--no-numpy", action="store_true", help="skip the numpy peer")
    p.add_argument(
        "--no-fused", action="store_true", help="skip the hand-fused numba loop (W1, W2)"
    )
    p.add_argument(
        "--no-roofline",
        action="store_true",
        help="skip the GEMM lower bound of W3-W5 (roofline.py)",
    )
    p.add_argument("--peers-only", action="store_true", help="run only the peers")
    p.add_argument("--no-wall", action="store_true", help="skip the wall-clock figures")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--json-out", metavar="FILE", help="also write the JSON report to FILE")
    p.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    args = p.parse_args(argv)
    which = [w.lower() for w in args.workloads] or list(WORKLOADS)
    bad = [w for w in which if w not in WORKLOADS]
    if bad:
        p.error(f"unknown workload(s) {bad}; choose from {list(WORKLOADS)}")
    args.which = [w for w in WORKLOADS if w in which]
    if min(args.repeats, args.mnist_epochs, args.wall_runs, args.rounds) < 1:
        p.error("--repeats, --mnist-epochs, --wall-runs and --rounds must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = [Row(WORKLOADS[k]) for k in args.which]
    errors: list[str] = []
    fatal = False
    peers_dir = Path(args.peers_dir).resolve()
    need_mnist = any(r.workload.mnist for r in rows)
    fmnist = find_fmnist(args.fmnist) if need_mnist else None
    if need_mnist and fmnist is None:
        print(
            "error: Fashion-MNIST not found. Install it (apt-get install dataset-fashion-mnist) "
            "or pass --fmnist DIR (a folder holding train-images-idx3-ubyte.gz).",
            file=sys.stderr,
        )
        return 2
    env = bench_env(args.threads)
    if fmnist is not None:
        env["FASHION_MNIST_DIR"] = str(fmnist)

    report: dict = {
        "settings": {
            "workloads": args.which,
            "machine": f"{platform.machine()} {platform.system()}",
            "cpus": os.cpu_count(),
            "threads": args.threads,
            "repeats": args.repeats,
            "mnist_epochs": args.mnist_epochs,
            "rounds": args.rounds,
            "peers_dir": str(peers_dir),
            "peers_python": args.peers_python,
            "fmnist": str(fmnist) if fmnist else None,
        }
    }
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        report["settings"]["nnviz_commit"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    report["settings"]["loadavg_start"] = loadavg()

    # ---- what is needed, checked before anything runs
    if not (peers_dir / "bench_torch.py").is_file():
        print(f"error: no peer benchmarks in {peers_dir} (pass --peers-dir)", file=sys.stderr)
        return 2
    try:
        report["settings"]["torch"] = check_peers_python(args.peers_python)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    nnviz = None
    if not args.peers_only:
        try:
            nnviz = locate_nnviz(args.nnviz, env)
            report["settings"]["nnviz"] = nnviz
        except BenchError as e:
            errors.append(f"nnviz: {e}")
            fatal = True

    # ---- each workload: the peers, then nnviz, back to back (so load changes hit all alike)
    peer_env = dict(env, PEERS_REPEATS=str(args.repeats), PEERS_MNIST_EPOCHS=str(args.mnist_epochs))
    impls = ["torch"] + ([] if args.no_numpy else ["numpy"])
    impls += [] if args.no_fused else ["numba_fused"]
    report["peers_env"] = {}
    wall: dict = {}
    roofed = [r for r in rows if r.workload.key in ROOFLINE_WORKLOADS]
    if roofed and not args.no_roofline:
        try:
            gemms = run_roofline(
                args.peers_python, peers_dir, dict(env, PEERS_THREADS=str(args.threads))
            )
            for row in roofed:
                row.bound = gemm_bound(gemms, row.workload.key, args.threads)
            report["roofline"] = gemms
        except (BenchError, subprocess.SubprocessError) as e:
            errors.append(f"roofline: {e}")
    with tempfile.TemporaryDirectory(prefix="nnviz-bench-cache-") as tmp_cache:
        cache = args.numba_cache_dir or tmp_cache
        report["settings"]["numba_cache_dir"] = cache if args.numba_cache_dir else "fresh temp dir"
        nenv = dict(env, NUMBA_CACHE_DIR=cache)
        for row, _ in itertools.product(rows, range(args.rounds)):
            key = row.workload.key
            row.torch = row.numpy = row.numba_fused = row.nnviz = None
            for impl in impls:
                if impl == "numba_fused" and key not in FUSED_WORKLOADS:
                    continue
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet)
                try:
                    with OthersMeter() as meter:
                        payload = run_peer(impl, args.peers_python, peers_dir, [key], peer_env)
                    row.note_others(impl, meter.share)
                except (BenchError, subprocess.SubprocessError) as e:
                    errors.append(f"{impl} peer on {key.upper()}: {e}")
                    fatal = True
                    continue
                report["peers_env"][impl] = {k: v for k, v in payload.items() if k != "results"}
                r = peer_results(payload, impl).get(key)
                setattr(row, impl, peer_figure(row.workload, r))
                if r is not None:
                    row.checks[impl] = r.get(row.workload.check[0])
            if nnviz is None:
                row.end_round()
                continue
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            try:
                with OthersMeter() as meter:
                    bench_nnviz_workload(row, nnviz, nenv, args.repeats, args.mnist_epochs, fmnist)
                row.note_others("nnviz", meter.share)
            except (BenchError, subprocess.SubprocessError) as e:
                row.error = str(e)
                fatal = True
                log(f"{key}: {e}")
            row.end_round()
        for row in rows:
            row.combine_rounds()
        if nnviz is not None and not args.no_wall:
            wall = measure_wall(nnviz, nenv, args.wall_runs, errors)
            fatal = fatal or any(v is None for v in wall.values())
    report["settings"]["loadavg_end"] = loadavg()

    report["wall_clock"] = {k: v for k, v in wall.items() if v is not None}
    report["workloads"] = [
        {
            "key": r.workload.key,
            "title": r.workload.title,
            "unit": r.workload.unit,
            "torch": r.torch,
            "numpy": r.numpy,
            "numba_fused": r.numba_fused,
            "nnviz": r.nnviz,
            "cost_vs_numba_fused": r.cost_vs_fused,
            "gemm_bound_s_per_epoch": r.bound,
            "over_gemm_bound": r.over_bound,
            "ratio_vs_torch": r.ratio,
            "target": r.workload.target,
            "target_is_minimum": r.workload.higher_is_better,
            "passed": r.passed,
            "compile_cold_s": r.compile_cold_s,
            "compile_warm_s": r.compile_warm_s,
            "check": {"metric": r.workload.check[2], **r.checks},
            "others_cpu_share": r.others_cpu,
            "warnings": r.warnings,
            "error": r.error,
            "nnviz_runs": r.nnviz_runs,
            "rounds": r.rounds,
            "round_ratios": r.round_ratios,
        }
        for r in rows
    ]
    report["errors"] = errors
    verdicts = [r.passed for r in rows] + [v["passed"] for v in report["wall_clock"].values()]
    report["all_passed"] = bool(verdicts) and all(v is True for v in verdicts) and not fatal

    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n")
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(render(report, rows))
    if fatal:
        return 2
    if args.strict and not report["all_passed"]:
        return 1
    return 0


def preflight_nnviz(nnviz: str, env: dict) -> None:
    """Fail once, clearly, when the nnviz CLI or its `train --bench` is not there yet."""
    cmd = [nnviz, "train", "--help"]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as e:
        raise BenchError(f"cannot run {nnviz}: {e}") from e
    if r.returncode != 0:
        raise BenchError(
            f"`{' '.join(cmd)}` exited with status {r.returncode}; is the nnviz CLI installed "
            f"and complete?\n{tail(r.stderr or r.stdout, 6)}"
        )
    missing = [o for o in ("--bench", "--json", "--epochs", "--dtype") if o not in r.stdout]
    if missing:
        raise BenchError(f"`nnviz train` does not offer {missing} yet")


def locate_nnviz(arg: str | None, env: dict) -> str:
    nnviz = find_nnviz(arg)
    if nnviz is None:
        raise BenchError(
            "command not found: install it with "
            f"`cd {REPO} && .venv/bin/pip install -e .`, or pass --nnviz PATH"
        )
    preflight_nnviz(nnviz, env)
    return nnviz


def measure_wall(nnviz: str, env: dict, runs: int, errors: list[str]) -> dict:
    """Best-of-`runs` wall time of `nnviz --help` and of a warm `nnviz train xor --epochs 1`."""
    xor = [nnviz, "train", "xor", "--epochs", "1"]
    cases = {"help": ([nnviz, "--help"], 0), "train_xor_1": (xor, 1)}
    wall: dict = {}
    for name, (cmd, warmup) in cases.items():
        log(f"wall clock: {' '.join(cmd)} ({warmup} warm-up, best of {runs})")
        try:
            if warmup:
                wall_clock(cmd, env, warmup)
            v = wall_clock(cmd, env, runs)
        except (BenchError, subprocess.SubprocessError) as e:
            errors.append(f"wall clock: {e}")
            wall[name] = None
            continue
        v["target_s"] = WALL_TARGETS[name]
        v["passed"] = v["best_s"] < WALL_TARGETS[name]
        wall[name] = v
    return wall


if __name__ == "__main__":
    sys.exit(main())
