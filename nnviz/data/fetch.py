"""Downloading full MNIST: the four standard gzip files, checked against their SHA-256.

Each file is streamed into a temporary file in the destination folder and renamed into
place only once its checksum matches, so a wrong checksum, a dropped connection or an
interrupt leaves nothing half-written behind.  Files already there with the right
checksum are not downloaded again.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from nnviz.data import locations
from nnviz.data.errors import DataError
from nnviz.files import atomic_write

# The mirror TensorFlow and TensorFlow Datasets download MNIST from (the original site,
# yann.lecun.com/exdb/mnist, no longer serves the files reliably).
DEFAULT_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# The published SHA-256 sums of the four standard MNIST files.
MNIST_SHA256: dict[str, str] = {
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

Progress = Callable[[str, int, "int | None"], None]
_CHUNK = 64 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason) or type(reason).__name__
    return " ".join(text.split())


def _offline(host: str, exc: BaseException) -> DataError:
    return DataError(
        f"could not reach {host}: {_reason(exc)}; "
        "download the four files yourself and pass --data-dir"
    )


def _download(
    url: str,
    name: str,
    dest: Path,
    expected: str,
    progress: Progress | None,
    timeout: float,
) -> None:
    host = urllib.parse.urlsplit(url).hostname or url
    try:
        response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        raise DataError(f"{name}: {url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _offline(host, exc) from None

    try:
        with response, atomic_write(dest / name, suffix=".part") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            digest = hashlib.sha256()
            done = 0
            if progress:
                progress(name, 0, total)
            try:
                while True:
                    block = response.read(_CHUNK)
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(name, done, total)
            except (OSError, http.client.HTTPException) as exc:
                raise DataError(
                    f"{name}: the download from {host} broke off after {done:,} bytes "
                    f"({_reason(exc)})"
                ) from None
            if total is not None and done != total:
                raise DataError(
                    f"{name}: the download from {host} broke off after {done:,} of {total:,} bytes"
                )
            got = digest.hexdigest()
            if got != expected.lower():
                raise DataError(
                    f"{name}: checksum mismatch (SHA-256 {got[:16]}..., expected "
                    f"{expected.lower()[:16]}...); nothing was kept"
                )
    except OSError as exc:  # the folder is not writable, the disk is full
        raise DataError(f"{dest / name}: cannot write ({exc.strerror or exc})") from None


def check_base_url(base_url: str) -> str:
    """The mirror's URL ending in '/', or a DataError when it is not an http(s) or file URL."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.netloc
    ):
        raise DataError(
            f"--base-url {base_url!r}: not a URL of a folder (http://, https:// or file://)"
        )
    return base_url if base_url.endswith("/") else base_url + "/"


def fetch_mnist(
    dest: Path | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    progress: Progress | None = None,
    timeout: float = 30,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Download the four MNIST files into dest (default: the cache folder); return dest.

    ``progress(name, bytes_done, bytes_total_or_None)`` is called as each file arrives
    (and once with done == total for a file already there).  ``checksums`` maps each
    file name to its SHA-256 and defaults to the published sums of MNIST.
    """
    sums = dict(MNIST_SHA256 if checksums is None else checksums)
    base_url = check_base_url(base_url)
    if not timeout > 0:
        raise DataError(f"--timeout {timeout:g}: must be more than 0 seconds")
    dest = Path(dest).expanduser() if dest is not None else locations.cache_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{dest}: cannot create the folder ({exc.strerror or exc})") from None
    for name, expected in sums.items():
        target = dest / name
        if target.is_file():
            with contextlib.suppress(OSError):
                if sha256_of(target) == expected.lower():
                    if progress:
                        size = target.stat().st_size
                        progress(name, size, size)
                    continue
        _download(base_url + name, name, dest, expected, progress, timeout)
    return dest
