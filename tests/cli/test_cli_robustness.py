"""What a careless or unlucky user does to nnviz, one test per kind of mistake: each ends in
one line and a non-zero exit (or works), never a traceback, a MemoryError or a lost file.

Every run is a fresh process with its address space limited (robust_support.MEMORY_LIMIT),
so a memory bomb that got through fails fast instead of swapping the machine.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from robust_support import XOR, idx_header, nnviz, scenario, xor_with

from nnviz.data.idx import IMAGES_MAGIC, LABELS_MAGIC


def _mnist_folder(folder, n_train=20, n_test=10, images=None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        pixels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).tobytes()
        body = images if images is not None and prefix == "train" else pixels
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
            idx_header(IMAGES_MAGIC, (n, 28, 28)) + body
        )
        labels = (np.arange(n) % 10).astype(np.uint8).tobytes()
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
            idx_header(LABELS_MAGIC, (n,)) + labels
        )
    return folder


def _npz_claiming(path, name, shape):
    """An .npz whose member `name` has a header claiming `shape` float64 and no data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}.npy", header.getvalue())
        _other_xor_params(zf, name)


def _other_xor_params(zf, but):
    shapes = {"W1": (2, 4), "b1": (4,), "W2": (4, 1), "b2": (1,)}
    for name, shape in shapes.items():
        if name != but:
            member = io.BytesIO()
            np.save(member, np.zeros(shape))
            zf.writestr(f"{name}.npy", member.getvalue())


def _zip_bomb(path, name, shape, inflated):
    """An .npz member with a proper header for `shape`, then `inflated` bytes of zeros
    (deflated to a few MB)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    block = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:  # noqa: SIM117
            fh.write(header.getvalue())
            for _ in range(inflated >> 20):
                fh.write(block)
        _other_xor_params(zf, name)


def test_sizes_are_bounded_before_memory_is_taken(tmp_path):
    # numbers typed: epochs beyond the bound is refused, with the bound named
    many = scenario(tmp_path, "many", xor_with(epochs="1000000000000000"))
    assert "at most 1,000,000,000" in nnviz("train", str(many)).one_line_error()
    # ... and the largest allowed takes no memory up front: it trains, and Ctrl-C-like
    # stopping after a few chunks is up to the caller (here: a short time budget)
    most = scenario(tmp_path, "most", xor_with(epochs="1000000000"))
    proc = subprocess.Popen(
        [sys.executable, "-c", _TRAIN_A_LITTLE, str(most)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and out.split()[0] == "trained", err
    # an IDX header claiming 10⁹ images, or 300,000 in a short gzip stream
    (tmp_path / "huge").mkdir()
    _mnist_folder(tmp_path / "huge")
    (tmp_path / "huge" / "train-images-idx3-ubyte").write_bytes(
        idx_header(IMAGES_MAGIC, (10**9, 28, 28)) + bytes(784)
    )
    line = nnviz("train", "mnist", "--data-dir", str(tmp_path / "huge")).one_line_error()
    assert "number of images is 1,000,000,000, more than nnviz's limit of 1,000,000" in line
    lying = tmp_path / "huge" / "train-images-idx3-ubyte"
    lying.unlink()
    with gzip.open(lying.with_suffix(".gz"), "wb") as fh:
        fh.write(idx_header(IMAGES_MAGIC, (300_000, 28, 28)) + bytes(784 * 20))
    line = nnviz("train", "mnist", "--data-dir", str(tmp_path / "huge"), limit=900 << 20)
    assert "truncated" in line.one_line_error()
    # a CSV label of 10¹², and a 2 GB CSV (sparse: the size is checked before reading)
    (tmp_path / "labels.csv").write_text("0,0,0\n1,1,1000000000000\n")
    (tmp_path / "big.csv").write_text("0,0,0\n")
    with open(tmp_path / "big.csv", "r+b") as fh:
        fh.truncate(2 << 30)
    for csv_name, expected in (("labels", "more than nnviz's limit of 1,000"),
                               ("big", "more than nnviz's limit of 1 GiB")):  # fmt: skip
        text = XOR.replace('kind = "gate"\ngate = "xor"', f'kind = "csv"\npath = "{csv_name}.csv"')
        own = scenario(tmp_path, csv_name, text.replace("inputs = 2\n", ""))
        assert expected in nnviz("train", str(own)).one_line_error()
    # an .npz header claiming 10¹² floats, and a zip bomb inflating past the memory limit
    _npz_claiming(tmp_path / "claim.npz", "W1", (10**6, 10**6))
    line = nnviz("train", "xor", "--load", str(tmp_path / "claim.npz")).one_line_error()
    assert "W1 has shape (1000000, 1000000), the model needs (2, 4)" in line
    _zip_bomb(tmp_path / "bomb.npz", "W1", (2, 4), 1600 << 20)
    line = nnviz("train", "xor", "--load", str(tmp_path / "bomb.npz")).one_line_error()
    assert "W1 has data after its 8 values" in line


_TRAIN_A_LITTLE = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
from nnviz.scenario import load_scenario
from nnviz.session import build
session = build(load_scenario(sys.argv[1]))
start = time.perf_counter()
for event in session.trainer.run():
    if time.perf_counter() - start > 1.0:
        break
print("trained", session.trainer.epoch)
"""


def test_a_named_folder_is_used_or_refused_and_results_name_their_data(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        line = nnviz("train", "mnist", "--data-dir", str(folder)).one_line_error()
        assert str(folder) in line and ("no such folder" in line or "looked for" in line)
    line = nnviz("train", "mnist", env={"NNVIZ_DATA": str(tmp_path / "missing")}).one_line_error()
    assert line.startswith(f"nnviz: NNVIZ_DATA {tmp_path / 'missing'}: no such folder")
    line = nnviz("train", "mnist", "--data-dir", "").one_line_error()
    assert "the folder name is empty" in line
    _mnist_folder(tmp_path / "kaggle")
    for p in (tmp_path / "kaggle").iterdir():
        p.rename(p.with_name(p.name.replace("-idx", ".idx")))
    ran = nnviz("train", "mnist", "--data-dir", str(tmp_path / "kaggle"), "--epochs", "1",
                "--json")  # fmt: skip
    assert ran.code == 0, ran.stderr
    result = json.loads(ran.stdout.splitlines()[-1])
    assert result["data_source"] == f"MNIST (20 / 10) from {tmp_path / 'kaggle'}"
    ran = nnviz("train", "mnist", "--data-dir", str(tmp_path / "kaggle"), "--epochs", "1", "-q")
    assert f"trained on MNIST (20 / 10) from {tmp_path / 'kaggle'}" in ran.stdout


class _Stalling(http.server.BaseHTTPRequestHandler):
    """Sends the headers and a first part of a file, then waits (a slow mirror)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        self.wfile.write(bytes(1 << 16))
        self.wfile.flush()
        time.sleep(30)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_a_run_like_ctrl_c_and_leaves_nothing_partial(tmp_path, signum):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dest = tmp_path / "dest"
    env = {**os.environ, "no_proxy": "127.0.0.1", "http_proxy": "", "HTTP_PROXY": ""}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from nnviz.cli import main; main()", "data", "fetch",
             "mnist", "--dest", str(dest), "--base-url",
             f"http://127.0.0.1:{server.server_address[1]}/"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not list(dest.glob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(dest.glob("*.part")), "the download never started"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert err.splitlines()[-1] == f"nnviz: stopped by {name}" and "Traceback" not in err
    assert list(dest.iterdir()) == []
    # the same during training with --save: exit 128 + n, no weights file, no .tmp
    weights = tmp_path / "w.npz"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from nnviz.cli import main; main()", "train", "xor", "--epochs",
         "1000000000", "--save", str(weights), "-q"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert err.splitlines()[-1] == f"nnviz: stopped by {name}"
    assert list(tmp_path.glob("*w.npz*")) == []


def test_overflow_is_diagnosed_where_values_enter(tmp_path):
    (tmp_path / "cells.csv").write_text("0,0,0\n1e39,1,1\n")
    text = XOR.replace('kind = "gate"\ngate = "xor"', 'kind = "csv"\npath = "cells.csv"')
    csv_scenario = scenario(tmp_path, "cells", text.replace("inputs = 2\n", ""))
    line = nnviz("train", str(csv_scenario)).one_line_error()
    assert "cells.csv:2: column 1: '1e39' is beyond the range of float32" in line
    np.savez(tmp_path / "huge.npz", W1=np.full((2, 4), 1e300), b1=np.zeros(4),
             W2=np.zeros((4, 1)), b2=np.zeros(1))  # fmt: skip
    line = nnviz("train", "xor", "--load", str(tmp_path / "huge.npz")).one_line_error()
    assert "huge.npz: W1: value 1e+300 is beyond the range of float32" in line
    big_init = scenario(tmp_path, "init", xor_with(init_scale="1e200"))
    assert "model.init_scale: must be at most" in nnviz("train", str(big_init)).one_line_error()
    weights = XOR.replace('init = "uniform"', "weights = { W1 = [[1e300, 0, 0, 0], [0, 0, 0, 0]] }")
    given = scenario(tmp_path, "given", weights)
    line = nnviz("train", str(given)).one_line_error()
    assert "given.toml: model.weights.W1: value 1e+300 is beyond the range of float32" in line


def test_ordinary_mistakes_get_one_line_not_a_traceback(tmp_path):
    deep = scenario(tmp_path, "deep", XOR + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deep" in nnviz("info", str(deep)).one_line_error()
    graph = 'name = "g"\n[graph]\ninputs = { x = 1.0 }\nnodes = ["f = {}"]\n'
    for expression, expected in (("(" * 300 + "x" + ")" * 300, "limit"),
                                 (" + ".join(["x"] * 5000), "limit")):  # fmt: skip
        own = scenario(tmp_path, "g", graph.replace("{}", expression))
        assert expected in nnviz("info", str(own)).one_line_error()
    assert "--seed" in nnviz("train", "xor", "--seed", str(2**64)).one_line_error()
    huge_init = scenario(tmp_path, "i", xor_with(init_scale="1e308"))
    assert "init_scale" in nnviz("train", str(huge_init)).one_line_error()
    empty = _mnist_folder(tmp_path / "empty", n_train=0)
    assert "holds no images" in nnviz("train", "mnist", "--data-dir", str(empty)).one_line_error()
    np.savez(tmp_path / "strings.npz", W1=np.array([["a"] * 4] * 2), b1=np.zeros(4),
             W2=np.zeros((4, 1)), b2=np.zeros(1))  # fmt: skip
    line = nnviz("train", "xor", "--load", str(tmp_path / "strings.npz")).one_line_error()
    assert "W1 holds <U1 values, not numbers" in line
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as zf:
        zf.writestr("notes.txt", "hello")
    line = nnviz("train", "xor", "--load", str(tmp_path / "plain.zip")).one_line_error()
    assert "no .npy arrays" in line
    fetch = ("data", "fetch", "mnist", "--dest", str(tmp_path / "dest"))  # (exit 1: a failed fetch)
    assert "--timeout -1" in nnviz(*fetch, "--timeout", "-1").one_line_error(1)
    line = nnviz(*fetch, "--base-url", "notaurl").one_line_error(1)
    assert "'notaurl': not a URL" in line
    with open("/dev/full", "w") as full:
        ran = nnviz("list", stdout=full)
    assert "No space left on device" in ran.one_line_error(1)
    ran = nnviz("train", "xor", "--epochs", "10", env={"PYTHONIOENCODING": "ascii"})
    assert ran.code == 0 and "Traceback" not in ran.stderr and "scenario" in ran.stdout
    for stdin in (subprocess.DEVNULL, None):  # no terminal; stdin closed (below)
        line = nnviz("run", "xor", stdin=stdin).one_line_error()
        assert "needs a terminal" in line
    closed = subprocess.run(  # as `nnviz run <&-` starts it: no file descriptor 0 at all
        [sys.executable, "-c", "from nnviz.cli import main; main()", "run"],
        capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    assert closed.returncode == 2 and "standard input is closed" in closed.stderr
    assert "Traceback" not in closed.stderr


def test_output_is_honest_and_safe(tmp_path):
    # escape codes from a file are refused where they come in, and shown escaped when printed
    escaped = scenario(tmp_path, "esc", xor_with(name='"\\u001b]0;pwned\\u0007\\u001b[2J"'))
    line = nnviz("info", str(escaped)).one_line_error()
    assert "\x1b" not in line and "\\x1b]0;pwned\\x07" in line
    key = scenario(tmp_path, "key", XOR + '"\\u001b[2J" = 1\n')
    line = nnviz("info", str(key)).one_line_error()
    assert "\x1b" not in line and "\\x1b[2J" in line
    # --save "" is an error; overwriting a weights file keeps its mode
    assert "the file name is empty" in nnviz("train", "xor", "--save", "").one_line_error()
    weights = tmp_path / "w.npz"
    weights.write_bytes(b"old")
    weights.chmod(0o640)
    assert nnviz("train", "xor", "--epochs", "5", "--save", str(weights), "-q").code == 0
    assert stat.S_IMODE(weights.stat().st_mode) == 0o640
    assert set(np.load(weights).files) == {"W1", "b1", "W2", "b2"}
    # a TOML file that starts with a byte-order mark is read
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + xor_with(name='"bom"').encode())
    assert nnviz("info", str(bom)).code == 0
    # nothing can be written: say so, exit non-zero
    ran = subprocess.run(  # as `nnviz list >&-` starts it
        [sys.executable, "-c", "from nnviz.cli import main; main()", "list"],
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
        preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert ran.returncode == 1 and "standard output is closed" in ran.stderr
