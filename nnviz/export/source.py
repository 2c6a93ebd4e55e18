"""Source text both targets share: numbers and arrays as literals, the data (embedded or an
MNIST loader), the starting weights and nnviz's sample order. Plain numpy in the script."""

from __future__ import annotations

import textwrap

import numpy as np

from nnviz.export.plan import EmbeddedData, MnistData, Plan

WIDTH = 96  # the scripts' line length


def number(value: float, dtype: str) -> str:
    """The shortest literal that reads back as the same value in `dtype`."""
    text = str(np.float32(value)) if dtype == "float32" else repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def hyper(value: float) -> str:
    """A hyperparameter as the scenario gives it (a Python float, exactly)."""
    return repr(float(value))


def array_literal(values: np.ndarray, dtype: str, indent: int, around: int = 0) -> str:
    """Nested lists of numbers, wrapped at WIDTH; a matrix keeps its rows whole when they fit.
    `around`: the characters on the literal's line besides it (`x = np.array(` ... `)`)."""
    values = np.asarray(values)
    if values.ndim == 1:
        return _wrap([number(v, dtype) for v in values], indent, around)
    rows = [_wrap([number(v, dtype) for v in row], indent + 4) for row in values]
    if any("\n" in row for row in rows):  # rows longer than a line: one (wrapped) row each
        pad = " " * (indent + 4)
        return "[\n" + "".join(f"{pad}{row},\n" for row in rows) + " " * indent + "]"
    return _wrap(rows, indent, around)


def comment(text: str, indent: int = 0) -> str:
    """`text` as # comment lines of at most WIDTH characters."""
    pad = " " * indent + "# "
    lines = textwrap.wrap(
        text, WIDTH, initial_indent=pad, subsequent_indent=pad,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return "\n".join(lines)


def call(head: str, args: list[str], indent: int = 0) -> str:
    """head(a, b, ...) on one line when it fits, else one argument a line (`indent`: the
    characters before it on its first line)."""
    one = f"{head}({', '.join(args)})"
    if indent + len(one) <= WIDTH:
        return one
    return f"{head}(\n" + "".join(f"    {a},\n" for a in args) + ")"


def _wrap(items: list[str], indent: int, around: int = 0) -> str:
    """[a, b, ...] on one line when it fits, else items packed greedily on lines of WIDTH."""
    text = "[" + ", ".join(items) + "]"
    if indent + around + len(text) <= WIDTH:
        return text
    pad = " " * (indent + 4)
    lines, line = [], ""
    for item in items:
        piece = item + ","
        if line and len(pad) + len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "[\n" + "\n".join(pad + line for line in lines) + "\n" + " " * indent + "]"


def docstring(plan: Plan, recipe: str, run: str) -> str:
    lines = [
        f'"""{plan.name}, exported from nnviz as a {recipe} script.',
        "",
        plan.description,
        "",
        "It trains the network nnviz trains, from the same starting weights, on the same",
        "mini-batches in the same order, with the same optimizer, loss and learning rate, so the",
        "losses it prints are nnviz's up to float rounding; compare with",
        f"    {plan.command}",
        "",
        f"Written by `{export_command(plan)}`.",
        f"Run it with {run}.",
        '"""',
    ]
    return "\n".join(lines)


def export_command(plan: Plan) -> str:
    """The `nnviz export` line that writes this script (the train line's overrides kept)."""
    words = plan.command.split(" ")
    return " ".join(["nnviz", "export", *words[2:3], "--to", plan.target, *words[3:]])


def epochs_text(plan: Plan) -> str:
    return f"{plan.epochs} epoch{'s' if plan.epochs != 1 else ''}"


# ------------------------------------------------------------------ data
def data_source(plan: Plan) -> str:
    """Defines x_train, y_train (float32 numpy arrays) and x_test, y_test (or None)."""
    if isinstance(plan.data, MnistData):
        return _mnist_source(plan.data)
    return _embedded_source(plan.data)


def _embedded_source(data: EmbeddedData) -> str:
    n = data.x_train.shape[0]
    out = [comment(f"Step 0: the data, as nnviz makes it ({data.source}; {n} training rows).")]
    for what in ("x_train", "y_train", "x_test", "y_test"):
        arr = getattr(data, what)
        if arr is None:
            out.append(f"{what} = None")
            continue
        lead = f"{what} = np.array("
        literal = array_literal(arr, "float32", 0, len(lead) + len(", dtype=np.float32)"))
        out.append(f"{lead}{literal}, dtype=np.float32)")
    return "\n".join(out)


def _mnist_source(data: MnistData) -> str:
    train = f"the first {data.n_train:,}" if data.limit_train else f"all {data.n_train:,}"
    head = [
        comment(
            f"Step 0: the data: {data.source}, read as nnviz reads it: each image a row of 784 "
            f"pixels / 255 in float32, each label a one-hot row of 10; {train} training images."
        )
    ]
    limit_train = data.limit_train or None
    limit_test = data.limit_test or None
    if data.files is None:
        body = f"""\
# nnviz's bundled sample: uint8 images and their labels.
MNIST_SAMPLE = {str(data.sample_path)!r}


def load_mnist():
    with np.load(MNIST_SAMPLE) as npz:
        return npz["x_train"], npz["y_train"], npz["x_test"], npz["y_test"]
"""
    else:
        files = ",\n".join(f"    {role!r}: {str(p)!r}" for role, p in data.files.items())
        body = f'''\
# The four MNIST-format IDX files nnviz found (gzipped or not).
MNIST_FILES = {{
{files},
}}


def read_idx(path):
    """An IDX file as a numpy array: a magic number, one big-endian size per dimension, bytes."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\\x1f\\x8b"
    with (gzip.open if gzipped else open)(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    shape = struct.unpack(f">{{ndim}}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist():
    return tuple(
        read_idx(MNIST_FILES[role])
        for role in ("train_images", "train_labels", "test_images", "test_labels")
    )
'''
    tail = """

def pixels(images):
    flat = images.reshape(len(images), -1).astype(np.float32)
    flat /= np.float32(255.0)
    return flat


def one_hot(labels):
    return np.eye(10, dtype=np.float32)[labels.astype(np.int64)]


images_train, labels_train, images_test, labels_test = load_mnist()"""
    if limit_train:
        tail += (
            f"\nimages_train = images_train[:{limit_train}]"
            f"\nlabels_train = labels_train[:{limit_train}]"
        )
    if limit_test:
        tail += (
            f"\nimages_test = images_test[:{limit_test}]\nlabels_test = labels_test[:{limit_test}]"
        )
    tail += """
x_train, y_train = pixels(images_train), one_hot(labels_train)
x_test, y_test = pixels(images_test), one_hot(labels_test)"""
    if not data.n_test:
        tail += "\nx_test = y_test = None  # nnviz uses no test images here"
    return "\n".join(head) + "\n" + body + tail


def data_imports(plan: Plan) -> list[str]:
    if isinstance(plan.data, MnistData) and plan.data.files is not None:
        return ["import gzip", "import struct"]
    return []


# ------------------------------------------------------------------ starting weights
def start_source(plan: Plan) -> str:
    """Defines START: name → numpy array, W_k as (inputs, units) and b_k as (units,)."""
    s = plan.start
    dt = "np.float32" if plan.dtype == "float32" else "np.float64"
    if s.literal is not None:
        lines = [comment(f"The starting weights: {s.origin}."), "START = {"]
        for name, arr in s.literal.items():
            lines.append(
                f'    "{name}": np.array({array_literal(arr, plan.dtype, 4)}, dtype={dt}),'
            )
        lines.append("}")
        return "\n".join(lines)
    if s.file is not None:
        return (
            comment(f"The starting weights: {s.origin} (nnviz train --save).") + "\n"
            f"WEIGHTS = {str(s.file)!r}\n"
            "with np.load(WEIGHTS) as npz:\n"
            f"    START = {{name: npz[name].astype({dt}) for name in npz.files}}\n"
            "START = {name: w.reshape(-1) if name[0] == 'b' else w for name, w in START.items()}"
        )
    sizes = ", ".join(f"({d.fan_in}, {d.units})" for d in plan.layers)
    draw = {
        "uniform": (
            f"w = rng.uniform(-{hyper(s.init_scale)}, {hyper(s.init_scale)}, size=(fan_in, units))",
            f"b = rng.uniform(-{hyper(s.init_scale)}, {hyper(s.init_scale)}, size=units)",
        ),
        "glorot": (
            "limit = np.sqrt(6.0 / (fan_in + units))\n"
            "        w = rng.uniform(-limit, limit, size=(fan_in, units))",
            "b = np.zeros(units)",
        ),
        "he": (
            "w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, units))",
            "b = np.zeros(units)",
        ),
        "zeros": ("w = np.zeros((fan_in, units))", "b = np.zeros(units)"),
    }[s.init]
    described = {
        "uniform": f"W and b uniform in [-{s.init_scale:g}, {s.init_scale:g}]",
        "glorot": "W uniform in ±sqrt(6 / (fan_in + units)) (Glorot), b = 0",
        "he": "W normal with variance 2 / fan_in (He), b = 0",
        "zeros": "all zero",
    }[s.init]
    lines = [
        comment(
            f"The starting weights: {s.origin}: {described}, drawn with numpy's "
            "default_rng(seed) in the order W1, b1, W2, b2, ... exactly as nnviz draws them."
        ),
        "def nnviz_init(sizes, seed):",
        "    rng = np.random.default_rng(seed)",
        "    start = {}",
        "    for k, (fan_in, units) in enumerate(sizes, start=1):",
        f"        {draw[0]}",
        f"        {draw[1]}",
        f'        start[f"W{{k}}"], start[f"b{{k}}"] = w.astype({dt}), b.astype({dt})',
        "    return start",
        "",
        "",
        f"START = nnviz_init([{sizes}], seed={s.seed})",
    ]
    for name, arr in s.given.items():
        around = len(f'START["{name}"] = np.array(, dtype={dt})')
        literal = array_literal(arr, plan.dtype, 0, around)
        lines.append(f'START["{name}"] = np.array({literal}, dtype={dt})')
    return "\n".join(lines)


# ------------------------------------------------------------------ the sample order
ORDER_SOURCE = '''\
def _mix32(x):
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    return (x >> 16) ^ x


def nnviz_order(n, seed, epoch):
    """The order nnviz takes the n training rows in, in this epoch: a Fisher-Yates shuffle
    driven by the Park-Miller generator, seeded from a hash of (seed, epoch). A fresh
    permutation every epoch, the same one every run."""
    order = list(range(n))
    state = _mix32(_mix32(seed & 0xFFFFFFFF) ^ (epoch & 0xFFFFFFFF)) % 2147483646 + 1
    for i in range(n - 1, 0, -1):
        state = state * 48271 % 2147483647
        j = state % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order'''


def schedule_text(plan: Plan) -> str:
    """The learning rate of an epoch, in words, for comments."""
    if plan.schedule == "step":
        return f"lr × {plan.gamma:g}^(epoch // {plan.schedule_step})"
    if plan.schedule == "exponential":
        return f"lr × {plan.gamma:g}^epoch"
    return "constant"


def print_every(plan: Plan) -> int:
    return max(1, plan.epochs // 20)
