"""fetch_mnist against a loopback HTTP server (127.0.0.1 only) serving small fake files."""

from __future__ import annotations

import hashlib
import http.server
import socket
import struct
import threading

import pytest

from nnviz.data import DataError
from nnviz.data.fetch import MNIST_SHA256, fetch_mnist

NAMES = list(MNIST_SHA256)
FILES = {name: (name.encode() + b"|" + bytes(range(256)) * (i + 3)) for i, name in enumerate(NAMES)}
SUMS = {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


class Server:
    """Serves ``files``; a name in ``drop`` gets half its body and then a closed connection
    (``reset`` sends a TCP reset instead of a clean close)."""

    def __init__(self):
        self.files = dict(FILES)
        self.drop: set[str] = set()
        self.reset = False
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                outer.requests.append(name)
                body = outer.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in outer.drop:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    if outer.reset:
                        self.connection.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    with Server() as s:
        yield s


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _left(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_downloads_and_verifies(server, tmp_path):
    seen = []
    dest = fetch_mnist(
        tmp_path / "mnist",
        base_url=server.url,
        checksums=SUMS,
        progress=lambda name, done, total: seen.append((name, done, total)),
        timeout=5,
    )
    assert dest == tmp_path / "mnist"
    assert _left(dest) == sorted(NAMES)
    for name in NAMES:
        assert (dest / name).read_bytes() == FILES[name]
        assert (name, len(FILES[name]), len(FILES[name])) in seen
        assert (name, 0, len(FILES[name])) in seen
    assert sorted(server.requests) == sorted(NAMES)


def test_files_already_there_are_skipped(server, tmp_path):
    fetch_mnist(tmp_path, base_url=server.url, checksums=SUMS, timeout=5)
    server.requests.clear()
    fetch_mnist(tmp_path, base_url=server.url.rstrip("/"), checksums=SUMS, timeout=5)
    assert server.requests == []
    # a damaged file is fetched again
    (tmp_path / NAMES[1]).write_bytes(b"damaged")
    fetch_mnist(tmp_path, base_url=server.url, checksums=SUMS, timeout=5)
    assert server.requests == [NAMES[1]]
    assert (tmp_path / NAMES[1]).read_bytes() == FILES[NAMES[1]]


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    bad = dict(SUMS)
    bad[NAMES[0]] = "0" * 64
    with pytest.raises(DataError) as err:
        fetch_mnist(tmp_path, base_url=server.url, checksums=bad, timeout=5)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{NAMES[0]}: checksum mismatch")
    assert _left(tmp_path) == []


def test_wrong_checksum_keeps_earlier_good_files(server, tmp_path):
    bad = dict(SUMS)
    bad[NAMES[2]] = "f" * 64
    with pytest.raises(DataError, match=NAMES[2]):
        fetch_mnist(tmp_path, base_url=server.url, checksums=bad, timeout=5)
    assert _left(tmp_path) == sorted(NAMES[:2])


@pytest.mark.parametrize("reset", [False, True])
def test_dropped_connection_leaves_nothing(server, tmp_path, reset):
    server.drop.add(NAMES[0])
    server.reset = reset
    with pytest.raises(DataError) as err:
        fetch_mnist(tmp_path, base_url=server.url, checksums=SUMS, timeout=5)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{NAMES[0]}: the download from 127.0.0.1 broke off")
    assert _left(tmp_path) == []


def test_http_error_names_the_file(server, tmp_path):
    del server.files[NAMES[3]]
    with pytest.raises(DataError) as err:
        fetch_mnist(tmp_path, base_url=server.url, checksums=SUMS, timeout=5)
    assert str(err.value).startswith(f"{NAMES[3]}: ")
    assert "HTTP 404" in str(err.value)
    assert NAMES[3] not in _left(tmp_path)
    assert not [p for p in _left(tmp_path) if p.endswith(".part")]


def test_refused_is_one_clear_line(tmp_path):
    with pytest.raises(DataError) as err:
        fetch_mnist(tmp_path / "d", base_url=_refused_url(), checksums=SUMS, timeout=5)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("could not reach 127.0.0.1: ")
    assert msg.endswith("download the four files yourself and pass --data-dir")
    assert "refused" in msg.lower()
    assert _left(tmp_path / "d") == []


def test_silent_server_times_out(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(DataError) as err:
            fetch_mnist(tmp_path, base_url=url, checksums=SUMS, timeout=0.3)
    msg = str(err.value)
    assert "\n" not in msg and "127.0.0.1" in msg and "timed out" in msg
    assert _left(tmp_path) == []


def test_default_sums_are_the_published_ones():
    assert MNIST_SHA256 == {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    }


def test_dest_that_cannot_be_made(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataError, match="cannot create the folder"):
        fetch_mnist(blocker / "sub", base_url=_refused_url(), checksums=SUMS)
