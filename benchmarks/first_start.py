"""Times the explorer's first start in a real terminal (tmux), as a user sees it.

    python benchmarks/first_start.py [--scenario xor] [--size 120x36] [--runs 1]

For each run, on a tmux server of its own (a server keeps the environment it started with,
so a cache folder named in an old one would make a "cold" run warm):
- cold: an empty kernel cache (NUMBA_CACHE_DIR in a new temporary folder): seconds to the
  first usable frame (the key footer and the compile line on screen), to full speed (the
  compile line gone), and from `q` to the process gone; one more cold start is quit during
  the compile (q → gone, child included);
- warm: the same folder again: seconds to the first frame, and from `q` to the process gone.
Prints one line per figure. Timings on a shared machine are noisy: give --runs and read the
median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NNVIZ = str(Path(sys.executable).with_name("nnviz"))
FOOTER = "^p palette"  # the key footer's last entry: the screen is up
COMPILING = "compiling kernels: "


class Pane:
    def __init__(self, scenario: str, size: tuple[int, int], cache: Path):
        self.socket = f"nnviz-first-start-{os.getpid()}-{time.monotonic_ns()}"
        self.done = cache.parent / f"done-{time.monotonic_ns()}"
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "TERM": "xterm-256color"}
        env.pop("TMUX", None)
        env.pop("NUMBA_DISABLE_JIT", None)
        self.env = env
        command = f"{NNVIZ} run {scenario}; touch {self.done}; sleep 600"
        self.started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "s", "-x", str(size[0]), "-y", str(size[1]),
                  command)  # fmt: skip

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "s")

    def until(self, test, timeout: float = 900.0) -> float:
        """Seconds since the start until test(screen) holds."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if test(self.screen()):
                return time.perf_counter() - self.started
            time.sleep(0.02)
        raise TimeoutError(self.screen())

    def quit_seconds(self) -> float:
        """From q to nnviz's end (its child, if any, ended with it: see tests)."""
        t0 = time.perf_counter()
        self.tmux("send-keys", "-t", "s", "q")
        while not self.done.exists():
            time.sleep(0.005)
        return time.perf_counter() - t0

    def close(self) -> None:
        self.tmux("kill-server")


def measure(scenario: str, size: tuple[int, int]) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="nnviz-first-start-"))
    cache = folder / "kernels"
    cache.mkdir()
    figures = {}
    try:
        pane = Pane(scenario, size, cache)
        figures["cold: first usable frame"] = pane.until(lambda s: COMPILING in s and FOOTER in s)
        figures["cold: q during the compile → gone"] = pane.quit_seconds()
        pane.close()
        shutil.rmtree(cache)
        cache.mkdir()
        pane = Pane(scenario, size, cache)
        figures["cold (again): first usable frame"] = pane.until(
            lambda s: COMPILING in s and FOOTER in s
        )
        figures["cold: full speed ready"] = pane.until(lambda s: COMPILING not in s)
        figures["cold: q after ready → gone"] = pane.quit_seconds()
        pane.close()
        pane = Pane(scenario, size, cache)
        figures["warm: first frame"] = pane.until(lambda s: FOOTER in s)
        assert COMPILING not in pane.screen()
        time.sleep(0.5)
        figures["warm: q → gone"] = pane.quit_seconds()
        pane.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="xor")
    parser.add_argument("--size", default="120x36")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    runs = [measure(args.scenario, size) for _ in range(args.runs)]
    print(f"{args.scenario} at {args.size}, {args.runs} run(s), load {os.getloadavg()[0]:.1f}")
    for key in runs[0]:
        values = [run[key] for run in runs]
        shown = " ".join(f"{v:.2f}" for v in values)
        print(f"  {key:36} median {statistics.median(values):6.2f} s   ({shown})")


if __name__ == "__main__":
    main()
