"""``nnviz data``: fetch and info, through click's CliRunner."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import json
import socket
import struct
import threading

import click
import numpy as np
import pytest
from click.testing import CliRunner

import nnviz.data.fetch as fetch_module
from nnviz.cli.data import data


@click.group()
def cli():
    """A stand-in for the main nnviz command."""


cli.add_command(data)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("NNVIZ_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def _run(*args):
    return CliRunner().invoke(cli, ["data", *args], catch_exceptions=False)


def _idx(array, magic):
    array = np.asarray(array, dtype=np.uint8)
    head = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(head + array.tobytes(), mtime=0)


def _fake_mnist(n_train=6, n_test=4) -> dict[str, bytes]:
    return {
        "train-images-idx3-ubyte.gz": _idx(np.zeros((n_train, 28, 28)), 0x803),
        "train-labels-idx1-ubyte.gz": _idx(np.arange(n_train) % 10, 0x801),
        "t10k-images-idx3-ubyte.gz": _idx(np.ones((n_test, 28, 28)), 0x803),
        "t10k-labels-idx1-ubyte.gz": _idx(np.arange(n_test) % 10, 0x801),
    }


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_info_text_without_full(tmp_path):
    result = _run("info")
    assert result.exit_code == 0
    out = result.output
    assert "MNIST sample (bundled): 8,000 train / 2,000 test" in out
    assert "Full MNIST: not found" in out
    assert str(tmp_path / "cache" / "nnviz" / "mnist") in out
    assert "nnviz data fetch mnist" in out
    assert "NNVIZ_DATA: (not set)" in out
    assert 'source "auto" uses: the bundled sample' in out


def test_info_json_with_full_in_data_dir(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, body in _fake_mnist().items():
        (folder / name).write_bytes(body)
    result = _run("info", "--json", "--data-dir", str(folder))
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["sample"]["train"] == 8000 and info["sample"]["test"] == 2000
    assert info["sample"]["bytes"] > 1_000_000
    assert info["full"]["found"] is True
    assert info["full"]["path"] == str(folder)
    assert info["full"]["from"] == "--data-dir"
    assert (info["full"]["train"], info["full"]["test"]) == (6, 4)
    assert info["mnist_auto"] == "full"
    assert info["nnviz_data"] is None
    assert "mnist" in info["kinds"] and "circles" in info["kinds"]


def test_info_shows_nnviz_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NNVIZ_DATA", str(tmp_path / "somewhere"))
    result = _run("info", "--json")
    info = json.loads(result.output)
    assert info["nnviz_data"] == str(tmp_path / "somewhere")
    assert [p["from"] for p in info["full"]["searched"]] == ["NNVIZ_DATA", "NNVIZ_DATA", "cache"]
    assert info["full"]["found"] is False
    text = _run("info").output
    assert f"NNVIZ_DATA: {tmp_path / 'somewhere'}" in text


def test_fetch_offline_is_one_line_and_exit_1(tmp_path):
    result = CliRunner().invoke(
        cli, ["data", "fetch", "mnist", "--dest", str(tmp_path / "d"), "--base-url", _refused_url()]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("Error: could not reach 127.0.0.1: ")
    assert "--data-dir" in lines[0]


def test_fetch_unknown_set():
    result = CliRunner().invoke(cli, ["data", "fetch", "cifar"])
    assert result.exit_code == 2


@contextlib.contextmanager
def _serving(monkeypatch, files):
    """A loopback HTTP server holding `files`, whose checksums fetch is told; yields its URL."""
    monkeypatch.setattr(
        fetch_module,
        "MNIST_SHA256",
        {name: hashlib.sha256(body).hexdigest() for name, body in files.items()},
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = files[self.path.rsplit("/", 1)[-1]]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_fetch_through_loopback(monkeypatch, tmp_path):
    files = _fake_mnist()
    with _serving(monkeypatch, files) as url:
        result = _run("fetch", "mnist", "--dest", str(tmp_path / "d"), "--base-url", url)
        again = _run("fetch", "mnist", "--dest", str(tmp_path / "d"), "--base-url", url)
    assert result.exit_code == 0, result.output
    assert f"MNIST is in {tmp_path / 'd'}" in result.output
    assert "train-images-idx3-ubyte.gz: downloading" in result.output
    assert "already there" in again.output
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(files)
    info = json.loads(_run("info", "--json", "--data-dir", str(tmp_path / "d")).output)
    assert info["full"]["found"] and info["full"]["train"] == 6


def test_fetch_json_lines_follow_the_schema(monkeypatch, tmp_path):
    from nnviz.schema.check import check_lines

    files = _fake_mnist()
    with _serving(monkeypatch, files) as url:
        args = ("fetch", "mnist", "--dest", str(tmp_path / "d"), "--base-url", url, "--json")
        first, again = _run(*args), _run(*args)
    for result, status in ((first, "downloading"), (again, "present")):
        assert result.exit_code == 0, result.output
        assert check_lines(result.stdout) == []
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["event"] for line in lines] == ["file"] * 4 + ["fetched"]
        assert {line["name"] for line in lines[:4]} == set(files)
        assert {line["status"] for line in lines[:4]} == {status}
        assert lines[-1] == {"event": "fetched", "schema": 1, "data": "mnist",
                             "path": str(tmp_path / "d")}  # fmt: skip


def test_rich_progress_runs(capsys):
    from nnviz.cli.data import _rich_progress

    bar, update = _rich_progress()
    with bar:
        update("a.gz", 0, 100)
        update("a.gz", 100, 100)
        update("b.gz", 5, None)
