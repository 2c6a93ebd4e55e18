"""Golden `nnviz trace --json` outputs: the cases, and how big arrays are condensed.

The files in tests/core/golden/ were recorded from the code before the Stepper existed
(commit 3a32d40), by running this module as a script from that checkout:

    cd <checkout> && python -c "import runpy; runpy.run_path('<this file>', run_name='__main__')"

circles-2.json was recorded again the same way from main at ed282a1 (still the trace before
the Stepper), after main drew the circles data set anew (a25fdb1); the other files were
unchanged by that recording.

tests/core/test_golden_traces.py asserts that today's `nnviz trace --json` reproduces every
recorded field exactly (fields added since are not compared), THROUGH_SGEMM's to rounding.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "golden"
BIG = 32  # arrays with more numbers than this are stored as shape, sum and hash

# file stem → trace arguments
CASES = {
    "xor-0": ["xor", "--steps", "0"],
    "xor-1": ["xor", "--steps", "1"],
    "xor-3": ["xor", "--steps", "3"],
    "xor-momentum-f64-4": ["xor", "--optimizer", "momentum", "--dtype", "float64", "--steps", "4"],
    "chain": ["chain"],
    "circles-2": ["circles", "--steps", "2"],
    "perceptron-step-1": ["perceptron-step", "--steps", "1"],
    "perceptron-step-6": ["perceptron-step", "--steps", "6"],
    "perceptron-2": ["perceptron", "--steps", "2"],
    "exercise1-1": ["exercise1", "--steps", "1"],
    "spiral-adagrad-2": ["spiral", "--optimizer", "adagrad", "--steps", "2"],
    "l2-nesterov-2": [str(HERE / "l2-nesterov.toml"), "--steps", "2"],
    "mnist-1": ["mnist", "--steps", "1"],
}
# Cases whose big layers multiply in OpenBLAS's sgemm, whose last bits depend on the OpenBLAS
# build that scipy ships: compared to float32 rounding, not bit for bit.
THROUGH_SGEMM = {"mnist-1"}


def condense(obj):
    """The trace with every big number array replaced by its shape, sum and SHA-256."""
    if isinstance(obj, dict):
        return {k: condense(v) for k, v in obj.items()}
    if isinstance(obj, list):
        if obj and all(isinstance(x, (int, float)) for x in obj) and len(obj) > BIG:
            return _digest(obj)
        if obj and all(isinstance(x, list) for x in obj):
            arr = np.asarray(obj, np.float64)
            if arr.size > BIG:
                return _digest(obj)
        return [condense(x) for x in obj]
    return obj


def _digest(obj) -> dict:
    arr = np.ascontiguousarray(np.asarray(obj, np.float64))
    return {
        "shape": list(arr.shape),
        "sum": float(arr.sum()),
        "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
    }


def record() -> None:
    from click.testing import CliRunner

    import nnviz
    from nnviz.cli import cli

    print("recording with", nnviz.__file__)
    for stem, args in CASES.items():
        result = CliRunner().invoke(cli, ["trace", *args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, (stem, result.output)
        out = condense(json.loads(result.output))
        (HERE / f"{stem}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
        print(stem, len(result.output), "chars")


if __name__ == "__main__":
    record()
