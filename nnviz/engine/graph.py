"""The Graph builder (tensor nodes, shape inference, topological order) and compile() → Program.

A Graph is built node by node; every node's inputs exist before it, so creation order is a
topological order. compile() lowers it once to plain arrays: an int table (op, inputs, shape,
offset, needs-grad), a float constant per node, and flat value / gradient buffers in which every
node is a view at a known offset. Parameters come first in the buffers, so an optimizer can
update all of them as one flat vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnviz.engine import blas, images, interp, ops, team
from nnviz.engine import kernels as k
from nnviz.errors import InputError
from nnviz.limits import MAX_BUFFER_BYTES, size_text

BATCH = None  # a node's row count when it has one row per sample


class GraphError(InputError):
    """A graph that cannot be built or compiled; the message names the node."""


# What a node is for, so that a front end finds it without knowing its name: the data wiring
# (x, y, prediction, loss) and, in an MLP (nnviz.engine.nn), each layer's weights, bias,
# pre-activation (hidden_pre, or output_pre for the output layer), hidden activation and
# dropout mask.
ROLES = ("x", "y", "prediction", "loss", "weights", "bias", "hidden_pre", "output_pre", "hidden",
         "mask", "features")  # fmt: skip


@dataclass
class Node:
    name: str
    op: int
    inputs: tuple[int, ...]
    rows: int | None  # None: one row per sample of the batch
    cols: int
    const: float = 0.0
    init: np.ndarray | None = None  # starting value of a parameter or constant
    role: str = ""  # what the node is for, one of ROLES, or ""
    image: tuple[int, int, int] | None = None  # each row read as C × H × W (image ops)
    window: images.Window | None = None  # conv2d / pooling: size, stride, padding
    # a parameter the optimizer starts out leaving alone (a layer with trainable = false);
    # the optimizer owns it from then on (Optimizer.freeze / unfreeze)
    frozen: bool = False
    columns: tuple[str, ...] = ()  # the columns' names, where they have one (x1, x1^2, ...)

    @property
    def op_name(self) -> str:
        return ops.BY_CODE[self.op].name

    @property
    def is_param(self) -> bool:
        return self.op == ops.PARAM

    def shape(self, batch: int) -> tuple[int, int]:
        return (batch if self.rows is None else self.rows, self.cols)


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    loss: int | None = None  # the node reverse mode starts from
    wrt: list[int] = field(default_factory=list)  # non-parameter leaves to differentiate by

    # ------------------------------------------------------------ building
    def _add(self, node: Node) -> int:
        if not node.name:
            raise GraphError("a node needs a name")
        if node.name in self.index:
            raise GraphError(f"node '{node.name}': the name is already taken")
        self.nodes.append(node)
        self.index[node.name] = len(self.nodes) - 1
        return len(self.nodes) - 1

    def input(
        self, name: str, cols: int, rows: int | None = BATCH, image: tuple | None = None
    ) -> int:
        """A data leaf: one row per sample unless `rows` is given; `image` = (C, H, W) reads
        each row as C images of H × W."""
        _positive(name, "cols", cols)
        shape = _image_shape(name, cols, image)
        return self._add(Node(name, ops.INPUT, (), rows, cols, image=shape))

    def param(self, name: str, value, frozen: bool = False) -> int:
        """A trainable leaf with its starting value (a matrix, or a vector stored as one row);
        `frozen`: the optimizer starts out leaving it as it is (its gradient is still computed)."""
        arr = _as_matrix(name, value)
        node = Node(name, ops.PARAM, (), arr.shape[0], arr.shape[1], init=arr, frozen=frozen)
        return self._add(node)

    def const(self, name: str, value) -> int:
        arr = _as_matrix(name, value)
        return self._add(Node(name, ops.CONST, (), arr.shape[0], arr.shape[1], init=arr))

    def op(
        self,
        op_name: str,
        *inputs: int | str,
        name: str,
        const: float = 0.0,
        image: tuple | None = None,
        size: int = 0,
        stride: int | None = None,
        padding: str | int = "valid",
    ) -> int:
        """Add an op node; shapes are inferred and checked.

        Image ops: conv2d(x, filters, bias) takes `stride` (default 1) and `padding` (valid,
        same or a number), its kernel size from the filters; maxpool and avgpool take `size`
        and `stride` (default: the size); reshape takes `image`, the (C, H, W) to read each
        row as, or None to flatten.
        """
        if op_name not in ops.BY_NAME:
            raise GraphError(f"node '{name}': unknown op '{op_name}'")
        spec = ops.BY_NAME[op_name]
        if spec.kind == "leaf":
            raise GraphError(f"node '{name}': '{op_name}' is a leaf; use input/param/const")
        idx = tuple(self._ref(name, x) for x in inputs)
        if len(idx) != spec.arity:
            raise GraphError(f"node '{name}': {op_name} takes {spec.arity} inputs, got {len(idx)}")
        if spec.kind in ("image", "shape"):
            node = self._image_op(name, spec, idx, image, size, stride, padding)
            return self._add(node)
        if spec.code == ops.MATMUL and self.nodes[idx[0]].image is not None:
            raise GraphError(
                f"node '{name}': {op_name} needs flat rows; flatten "
                f"{self.nodes[idx[0]].name} ({images.image_text(self.nodes[idx[0]].image)}) "
                "with reshape first"
            )
        rows, cols = self._infer(name, spec, idx)
        keep = self.nodes[idx[0]].image if spec.arity == 1 else None
        if spec.arity == 2 and self.nodes[idx[0]].image == self.nodes[idx[1]].image:
            keep = self.nodes[idx[0]].image
        return self._add(Node(name, spec.code, idx, rows, cols, const=float(const), image=keep))

    def _image_op(self, name, spec, idx, image, size, stride, padding) -> Node:
        """The node of conv2d, maxpool, avgpool or reshape, its image shape checked."""
        a = self.nodes[idx[0]]
        if spec.code == ops.RESHAPE:
            return Node(
                name, spec.code, idx, a.rows, a.cols, image=_image_shape(name, a.cols, image)
            )
        if a.image is None:
            raise GraphError(
                f"node '{name}': {spec.name} needs images; {a.name} is {a.cols} flat numbers "
                "per row (give it an image shape with reshape)"
            )
        c, h, w = a.image
        if spec.code == ops.CONV2D:
            filters, bias = self.nodes[idx[1]], self.nodes[idx[2]]
            if filters.rows is None or bias.rows is None:
                raise GraphError(f"node '{name}': the filters and bias must not be batched")
            kernel = int(round((filters.cols / c) ** 0.5)) if filters.cols % c == 0 else 0
            if kernel < 1 or c * kernel * kernel != filters.cols:
                raise GraphError(
                    f"node '{name}': filters {filters.name} ({filters.rows}×{filters.cols}) are "
                    f"not {c}·k·k wide for {a.name}'s {c} channels"
                )
            if bias.rows != 1 or bias.cols != filters.rows:
                raise GraphError(
                    f"node '{name}': bias {bias.name} ({_shape_text(bias)}) must be 1×"
                    f"{filters.rows}, one per filter"
                )
            step = 1 if stride is None else stride
            _positive(name, "stride", step)
            if not (padding in images.PADDINGS or (isinstance(padding, int) and padding >= 0)):
                raise GraphError(
                    f"node '{name}': padding must be valid, same or a number ≥ 0, got {padding!r}"
                )
            ho, wo, window = images.conv_output(h, w, kernel, step, padding)
            out_c, what = filters.rows, f"a {kernel}×{kernel} kernel"
        else:
            _positive(name, "size", size)
            step = size if stride is None else stride
            _positive(name, "stride", step)
            ho, wo, window = images.pool_output(h, w, size, step)
            out_c, what = c, f"a {size}×{size} window"
        if ho < 1 or wo < 1:
            raise GraphError(
                f"node '{name}': {what} does not fit {a.name}'s {images.image_text(a.image)} images"
            )
        shape = (out_c, ho, wo)
        return Node(name, spec.code, idx, a.rows, out_c * ho * wo, image=shape, window=window)

    def _ref(self, name: str, x: int | str) -> int:
        if isinstance(x, str):
            if x not in self.index:
                raise GraphError(f"node '{name}': input '{x}' does not exist")
            return self.index[x]
        if not 0 <= x < len(self.nodes):
            raise GraphError(f"node '{name}': input #{x} does not exist")
        return int(x)

    def _infer(self, name: str, spec: ops.Op, idx: tuple[int, ...]) -> tuple[int | None, int]:
        a = self.nodes[idx[0]]
        if spec.code == ops.MATMUL:
            b = self.nodes[idx[1]]
            if b.rows is None:
                raise GraphError(f"node '{name}': the right side of matmul must not be batched")
            if a.cols != b.rows:
                raise GraphError(
                    f"node '{name}': matmul needs {a.name}'s columns ({a.cols}) "
                    f"to equal {b.name}'s rows ({b.rows})"
                )
            return a.rows, b.cols
        if spec.kind == "elementwise" and spec.arity == 2:
            b = self.nodes[idx[1]]
            if a.cols != b.cols or not _rows_compatible(a.rows, b.rows):
                raise GraphError(
                    f"node '{name}': {spec.name} needs matching shapes, got "
                    f"{_shape_text(a)} and {_shape_text(b)}"
                )
            return (a.rows if a.rows != 1 else b.rows), a.cols
        if spec.kind == "loss":
            b = self.nodes[idx[1]]
            if a.cols != b.cols or a.rows != b.rows:
                raise GraphError(
                    f"node '{name}': {spec.name} needs prediction and target of one shape, got "
                    f"{_shape_text(a)} and {_shape_text(b)}"
                )
            if spec.code == ops.SOFTMAX_CE and a.cols < 2:
                raise GraphError(f"node '{name}': softmax_ce needs at least 2 classes")
            return 1, 1
        if spec.kind == "reduce":
            return 1, 1
        if spec.code == ops.FEATURES:
            table = self.nodes[idx[1]]
            if table.rows is None or table.cols != k.FEATURE_TABLE_COLUMNS:
                raise GraphError(
                    f"node '{name}': the feature table {table.name} must be a constant of "
                    f"{k.FEATURE_TABLE_COLUMNS} columns, got {_shape_text(table)}"
                )
            if table.init is not None and table.init.size:
                used = table.init[:, 1::2].max() if a.cols else 0
                if not 0 <= used < a.cols:
                    raise GraphError(
                        f"node '{name}': the feature table names column {int(used)} of "
                        f"{a.name}, which has {a.cols}"
                    )
            return a.rows, table.rows
        return a.rows, a.cols

    # ------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.nodes)

    def node(self, key: int | str) -> Node:
        return self.nodes[self._ref("?", key) if isinstance(key, int) else self.find(key)]

    def find(self, name: str) -> int:
        if name not in self.index:
            known = ", ".join(self.index)
            raise GraphError(f"no node named '{name}' (nodes: {known})")
        return self.index[name]

    def all_with_role(self, role: str) -> list[int]:
        """Every node with this role, in order (one per layer for the layer roles)."""
        _check_role(role)
        return [i for i, node in enumerate(self.nodes) if node.role == role]

    def with_role(self, role: str) -> int | None:
        """The first node with this role, or None."""
        _check_role(role)
        for i, node in enumerate(self.nodes):
            if node.role == role:
                return i
        return None

    def consumers(self, i: int) -> list[int]:
        return [j for j, node in enumerate(self.nodes) if i in node.inputs]

    def formula(self, i: int, expand: bool = True) -> str:
        """How the node reads, e.g. 'z1 = x·W1 + b1' (a single-use matmul input is expanded)."""
        node = self.nodes[i]
        return f"{node.name} = {self.expression(i, expand)}"

    def expression(self, i: int, expand: bool = True) -> str:
        node = self.nodes[i]
        spec = ops.BY_CODE[node.op]
        if spec.kind == "leaf":
            return spec.formula
        names = []
        for j in node.inputs:
            child = self.nodes[j]
            inline = expand and child.op == ops.MATMUL and len(self.consumers(j)) == 1
            names.append(self.expression(j, False) if inline else child.name)
        a = names[0]
        b = names[1] if len(names) > 1 else ""
        d = names[2] if len(names) > 2 else ""
        return spec.formula.format(a=a, b=b, c=_number(node.const), d=d)

    def needs_grad(self, through_step: bool = False) -> np.ndarray:
        """Which nodes' gradients are needed: on a path from a parameter (or a `wrt` leaf) to
        the loss. Inputs, targets and nodes off the loss path get none. A heaviside step stops
        the path (its derivative is 0) unless `through_step`."""
        n = len(self.nodes)
        from_param = np.zeros(n, bool)
        for i, node in enumerate(self.nodes):
            if node.op == ops.PARAM or i in self.wrt:
                from_param[i] = True
            elif node.op == ops.STEP and not through_step:
                from_param[i] = False
            elif node.inputs:
                from_param[i] = any(from_param[j] for j in node.inputs)
        to_loss = np.zeros(n, bool)
        if self.loss is not None:
            to_loss[self.loss] = True
            for i in range(n - 1, -1, -1):
                if to_loss[i] and (through_step or self.nodes[i].op != ops.STEP):
                    for j in self.nodes[i].inputs:
                        to_loss[j] = True
        return from_param & to_loss

    def steps_blocking_gradients(self) -> list[int]:
        """Heaviside steps that stand between a parameter and the loss."""
        through = self.needs_grad(through_step=True)
        return [i for i, nd in enumerate(self.nodes) if nd.op == ops.STEP and through[i]]


def _image_shape(name: str, cols: int, image) -> tuple[int, int, int] | None:
    """`image` as (C, H, W) when it holds exactly `cols` numbers; None stays None (flat)."""
    if image is None:
        return None
    try:
        shape = tuple(int(d) for d in image)
    except (TypeError, ValueError):
        raise GraphError(f"node '{name}': an image shape is (C, H, W), got {image!r}") from None
    if len(shape) != 3 or min(shape) < 1:
        raise GraphError(f"node '{name}': an image shape is (C, H, W) of sizes ≥ 1, got {image!r}")
    if shape[0] * shape[1] * shape[2] != cols:
        raise GraphError(
            f"node '{name}': {images.image_text(shape)} images hold "
            f"{shape[0] * shape[1] * shape[2]} numbers, not the {cols} of a row"
        )
    return shape


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise GraphError(f"role '{role}' is not one of {', '.join(ROLES)}")


def _rows_compatible(ra: int | None, rb: int | None) -> bool:
    return ra == rb or ra == 1 or rb == 1


def _shape_text(node: Node) -> str:
    rows = "batch" if node.rows is None else str(node.rows)
    return f"{node.name} ({rows}×{node.cols})"


def _number(x: float) -> str:
    return f"{x:g}"


def _positive(name: str, what: str, value: int) -> None:
    if int(value) < 1:
        raise GraphError(f"node '{name}': {what} must be at least 1, got {value}")


def _as_matrix(name: str, value) -> np.ndarray:
    arr = np.array(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(1, -1)
    elif arr.ndim != 2:
        raise GraphError(f"node '{name}': a value must be a number, a vector or a matrix")
    if arr.size == 0:
        raise GraphError(f"node '{name}': a value must not be empty")
    if not np.all(np.isfinite(arr)):
        raise GraphError(f"node '{name}': the value holds NaN or infinity")
    return arr


# ================================================================ compile → Program
def compile(graph: Graph, dtype=np.float32, capacity: int = 1, *, through_step=False) -> Program:  # noqa: A001
    """Lower `graph` to a Program whose batch nodes hold up to `capacity` rows.

    A heaviside step stops gradients unless `through_step` (its derivative, 0 almost
    everywhere, is then used as is: only for checking that rule).
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise GraphError(f"dtype must be float32 or float64, got {dtype}")
    if capacity < 1:
        raise GraphError(f"capacity must be at least 1, got {capacity}")
    n = len(graph.nodes)
    if n == 0:
        raise GraphError("the graph has no nodes")
    needs = graph.needs_grad(through_step)
    meta = np.zeros((n, k.META_COLUMNS), np.int64)
    consts = np.zeros(n, np.float64)
    # Parameters first, so that they form one flat prefix of every buffer.
    order = [i for i, nd in enumerate(graph.nodes) if nd.is_param]
    order += [i for i, nd in enumerate(graph.nodes) if not nd.is_param]
    offset = 0
    n_param = 0
    for i in order:
        node = graph.nodes[i]
        rows, cols = node.shape(capacity)
        meta[i, k.OFF] = offset
        offset += rows * cols
        if node.is_param:
            n_param = offset
    # After every node, the scratch that a float32 matmul's GEMM cut along its sum needs
    # (team.gemm_pair): room for the largest of its output and its inputs.
    scratch = offset
    if dtype == np.float32:
        for node in graph.nodes:
            if node.op == ops.MATMUL:
                sizes = [graph.nodes[j].shape(capacity) for j in node.inputs[:2]]
                sizes.append(node.shape(capacity))
                offset = max(offset, scratch + max(r * c for r, c in sizes))
    for i, node in enumerate(graph.nodes):
        meta[i, k.SCRATCH] = scratch
        meta[i, k.OP] = node.op
        meta[i, k.IN_A] = node.inputs[0] if len(node.inputs) > 0 else -1
        meta[i, k.IN_B] = node.inputs[1] if len(node.inputs) > 1 else -1
        meta[i, k.IN_C] = node.inputs[2] if len(node.inputs) > 2 else -1
        if node.image is not None:
            meta[i, k.CH], meta[i, k.HT], meta[i, k.WD] = node.image
        if node.window is not None:
            win = node.window
            meta[i, k.KSIZE], meta[i, k.STRIDE] = win.size, win.stride
            meta[i, k.PAD_T], meta[i, k.PAD_L] = win.pad_top, win.pad_left
        meta[i, k.ROWS] = -1 if node.rows is None else node.rows
        meta[i, k.COLS] = node.cols
        meta[i, k.NEEDS_GRAD] = int(needs[i])
        consts[i] = node.const
        if node.op == ops.BCE and node.const == 0.0:
            # Keep ln(p) finite: clamp p to [eps, 1 − eps] at the dtype's resolution.
            consts[i] = 1e-7 if dtype == np.float32 else 1e-12
    nbytes = offset * np.dtype(dtype).itemsize
    if nbytes > MAX_BUFFER_BYTES:  # checked before the buffers are allocated
        raise GraphError(
            f"the network's values for {capacity:,} rows take {nbytes:,} bytes, more than "
            f"nnviz's limit of {size_text(MAX_BUFFER_BYTES)} (try a smaller batch size or "
            "fewer units)"
        )
    program = Program(graph, dtype, capacity, meta, consts, offset, n_param)
    program.reset_values()
    return program


class Program:
    """A compiled graph: int table, constants and flat value / gradient / tangent buffers.

    Every node's value, gradient and tangent can be read by name as a numpy view.
    """

    def __init__(self, graph, dtype, capacity, meta, consts, size, n_param):
        self.graph = graph
        self.dtype = np.dtype(dtype)
        self.capacity = capacity
        self.meta = meta
        self.consts = consts
        self.n_param = n_param
        # np.zeros maps zero pages that take memory only once written: a training run
        # writes its batch's rows of the gradients, not the capacity's (1024 rows of 60,000
        # MNIST images would be 10 MB of gradients never used). Tangents (forward mode, for
        # teaching) are made when first asked for.
        self.values = np.zeros(size, self.dtype)
        self.grads = np.zeros(size, self.dtype)
        self._tangents: np.ndarray | None = None
        self._fresh = True  # the buffers are still all zero, as allocated
        self.batch = capacity  # rows in use by batch nodes; feed() sets it

    @property
    def tangents(self) -> np.ndarray:
        if self._tangents is None:
            self._tangents = np.zeros(self.values.size, self.dtype)
        return self._tangents

    # ------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self.graph.nodes)

    def find(self, key: int | str) -> int:
        if isinstance(key, str):
            return self.graph.find(key)
        if not 0 <= key < len(self.graph.nodes):
            raise GraphError(f"no node #{key}")
        return int(key)

    def name(self, i: int) -> str:
        return self.graph.nodes[i].name

    @property
    def names(self) -> list[str]:
        return [nd.name for nd in self.graph.nodes]

    @property
    def param_indices(self) -> list[int]:
        return [i for i, nd in enumerate(self.graph.nodes) if nd.is_param]

    def shape(self, key: int | str) -> tuple[int, int]:
        return self.graph.nodes[self.find(key)].shape(self.batch)

    def image(self, key: int | str) -> tuple[int, int, int] | None:
        """(C, H, W) of each row of an image node, None for a flat one."""
        return self.graph.nodes[self.find(key)].image

    def value_images(self, key: int | str) -> np.ndarray:
        """An image node's value as (batch, C, H, W) (a view)."""
        return self._images(self.value(key), key)

    def grad_images(self, key: int | str) -> np.ndarray:
        """∂loss/∂node of an image node as (batch, C, H, W) (a view)."""
        return self._images(self.grad(key), key)

    def _images(self, flat: np.ndarray, key: int | str) -> np.ndarray:
        shape = self.image(key)
        if shape is None:
            raise GraphError(f"node '{self.name(self.find(key))}' is not an image node")
        return flat.reshape(flat.shape[0], *shape)

    def offset(self, key: int | str) -> int:
        """Where node `key` starts in the flat value, gradient and tangent buffers."""
        return int(self.meta[self.find(key), k.OFF])

    def view(self, buffer: np.ndarray, key: int | str, batch: int | None = None) -> np.ndarray:
        """Node `key` in `buffer` (one of this Program's buffers, or a copy of one) as a
        rows × cols view, with `batch` rows in a batch node (the batch in use by default)."""
        i = self.find(key)
        rows, cols = self.graph.nodes[i].shape(self.batch if batch is None else batch)
        off = self.offset(i)
        return buffer[off : off + rows * cols].reshape(rows, cols)

    def _view(self, buffer: np.ndarray, key: int | str) -> np.ndarray:
        return self.view(buffer, key)

    def value(self, key: int | str) -> np.ndarray:
        """The node's value (a view: copy it to keep it)."""
        return self._view(self.values, key)

    def grad(self, key: int | str) -> np.ndarray:
        """∂loss/∂node (a view)."""
        return self._view(self.grads, key)

    def tangent(self, key: int | str) -> np.ndarray:
        """∂node/∂direction after jvp() (a view)."""
        return self._view(self.tangents, key)

    def needs_grad(self, key: int | str) -> bool:
        return bool(self.meta[self.find(key), k.NEEDS_GRAD])

    def param_slice(self, key: int | str) -> slice:
        """Where the parameter sits in the flat parameter vector (and in optimizer state)."""
        i = self.find(key)
        if not self.graph.nodes[i].is_param:
            raise GraphError(f"node '{self.name(i)}' is not a parameter")
        off = self.offset(i)
        rows, cols = self.shape(i)
        return slice(off, off + rows * cols)

    # ------------------------------------------------------------ state
    def reset_values(self) -> None:
        """Parameters and constants back to their starting values; everything else zero."""
        if not self._fresh:
            self.values[:] = 0
            self.grads[:] = 0
            if self._tangents is not None:
                self._tangents[:] = 0
        self._fresh = False
        for i, node in enumerate(self.graph.nodes):
            if node.init is not None:
                self._check_fits(node.name, node.init)
                self.value(i)[...] = node.init

    def _check_fits(self, name: str, arr) -> None:
        """A GraphError naming the node when a value would become infinity in this dtype."""
        arr = np.asarray(arr)
        if arr.size and arr.dtype.kind == "f" and arr.dtype.itemsize > self.dtype.itemsize:
            biggest = float(np.max(np.abs(arr)))
            limit = float(np.finfo(self.dtype).max)
            if biggest > limit:  # (NaN compares false: the finiteness checks name those)
                raise GraphError(f"node '{name}': value {biggest:.3g} is beyond the range of "
                                 f"{self.dtype} (±{limit:.3g})")  # fmt: skip

    def set_params(self, values: dict[str, np.ndarray]) -> None:
        for name, arr in values.items():
            view = self.value(name)
            arr = np.asarray(arr)
            self._check_fits(name, arr)
            if arr.ndim == 1:
                arr = arr.reshape(1, -1)
            if arr.shape != view.shape:
                raise GraphError(f"node '{name}': expected shape {view.shape}, got {arr.shape}")
            view[...] = arr

    def params(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, by name."""
        return {self.name(i): self.value(i).copy() for i in self.param_indices}

    def set_batch(self, rows: int) -> None:
        if not 1 <= rows <= self.capacity:
            raise GraphError(f"a batch of {rows} rows does not fit (capacity {self.capacity})")
        self.batch = int(rows)

    def feed(self, key: int | str, data) -> None:
        """Copy data into an input node; a batched input sets the batch size."""
        i = self.find(key)
        node = self.graph.nodes[i]
        if node.op != ops.INPUT:
            raise GraphError(f"node '{node.name}' is not an input")
        arr = np.asarray(data, dtype=self.dtype)
        if arr.ndim == 1:
            arr = arr.reshape(-1, node.cols) if node.rows is None else arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != node.cols:
            raise GraphError(f"node '{node.name}': expected {node.cols} columns, got {arr.shape}")
        if node.rows is None:
            self.set_batch(arr.shape[0])
        elif arr.shape[0] != node.rows:
            raise GraphError(f"node '{node.name}': expected {node.rows} rows, got {arr.shape[0]}")
        self.value(i)[...] = arr

    # ------------------------------------------------------------ running
    def forward(self, lo: int = 0, hi: int | None = None) -> None:
        """Compute nodes lo … hi−1 (all by default)."""
        lo, hi = self._range(lo, hi)
        with blas.one_thread():
            interp.forward(self.meta, self.consts, self.values, lo, hi, self.batch, team.SOLO)

    def seed(self) -> None:
        """Start reverse mode: ∂loss/∂loss = 1."""
        if self.graph.loss is None:
            raise GraphError("the graph has no loss node to differentiate")
        self.grad(self.graph.loss)[...] = 1

    def backward(self, lo: int = 0, hi: int | None = None) -> None:
        """Run the VJP rules of nodes hi−1 down to lo (all by default); gradients accumulate."""
        lo, hi = self._range(lo, hi)
        with blas.one_thread():
            interp.backward(
                self.meta, self.consts, self.values, self.grads, lo, hi, self.batch, team.SOLO
            )

    def jvp(self, direction: dict[str, np.ndarray | float], lo: int = 0, hi=None) -> None:
        """Forward mode: tangents of every node along `direction` (leaf name → tangent)."""
        lo, hi = self._range(lo, hi)
        self.tangents[:] = 0
        for name, d in direction.items():
            i = self.find(name)
            if self.graph.nodes[i].op not in ops.LEAF_CODES:
                raise GraphError(f"node '{name}': a direction is given on leaves only")
            self.tangent(i)[...] = d
        interp.tangents(self.meta, self.consts, self.values, self.tangents, lo, hi, self.batch)

    def _range(self, lo: int, hi: int | None) -> tuple[int, int]:
        n = len(self.graph.nodes)
        hi = n if hi is None else hi
        if not 0 <= lo <= hi <= n:
            raise GraphError(f"node range [{lo}, {hi}) is outside 0 … {n}")
        return lo, hi

    def first_nonfinite(self) -> int | None:
        """The first node, in order, whose value holds NaN or infinity."""
        for i in range(len(self.graph.nodes)):
            if not np.all(np.isfinite(self.value(i))):
                return i
        return None

    def contribution(self, child: int | str, parent: int | str, upstream=None) -> np.ndarray:
        """What `child`'s VJP rule adds to ∂loss/∂parent: upstream × local derivative.

        `upstream` defaults to the child's current gradient; pass ones to read the local
        derivative of an elementwise op. Computed by the engine's own rule into scratch space.
        """
        c, p = self.find(child), self.find(parent)
        if p not in self.graph.nodes[c].inputs:
            raise GraphError(f"node '{self.name(p)}' is not an input of '{self.name(c)}'")
        scratch = np.zeros_like(self.grads)
        rows, cols = self.shape(c)
        off = int(self.meta[c, k.OFF])
        up = self.grad(c) if upstream is None else np.broadcast_to(upstream, (rows, cols))
        scratch[off : off + rows * cols] = np.asarray(up, self.dtype).ravel()
        meta = self.meta.copy()
        meta[:, k.NEEDS_GRAD] = 0
        meta[c, k.NEEDS_GRAD] = 1
        meta[p, k.NEEDS_GRAD] = 1
        with blas.one_thread():
            interp.backward(
                meta, self.consts, self.values, scratch, c, c + 1, self.batch, team.SOLO
            )
        prow, pcol = self.shape(p)
        poff = int(self.meta[p, k.OFF])
        return scratch[poff : poff + prow * pcol].reshape(prow, pcol).copy()
