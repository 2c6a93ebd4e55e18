"""A compiled network with its data wiring: the object notebooks, the CLI and the explorer share.

from nnviz import Model, fit
model = Model.from_spec(2, [(4, "sigmoid"), (1, "sigmoid")], loss="bce", seed=0)
history = fit(model, X, y, epochs=2000, optimizer="sgd", lr=0.5)   # nnviz.train.fit
model.predict(X); model.evaluate(X, y); print(model.summary())
model.value("u1"); model.grad("W1")
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnviz.engine import blas, helper, loop, team
from nnviz.engine.graph import Graph, GraphError, Program, compile
from nnviz.engine.nn import build_mlp, init_weights, summary_text
from nnviz.engine.spec import Layer, summary_rows

TASKS = ("binary", "multiclass", "regression")
DEFAULT_CAPACITY = 1024


class Model:
    """A Graph compiled to a Program, plus which nodes are x, y, the prediction and the loss."""

    def __init__(
        self,
        graph: Graph,
        *,
        task: str = "binary",
        dtype="float32",
        capacity: int = DEFAULT_CAPACITY,
        spec: tuple[int, tuple[Layer, ...], str] | None = None,
    ):
        if task not in TASKS:
            raise GraphError(f"task '{task}' is not one of {', '.join(TASKS)}")
        self.graph = graph
        self.task = task
        self.spec = spec
        self.program: Program = compile(graph, np.dtype(dtype), capacity)
        self.x = graph.with_role("x")
        self.y = graph.with_role("y")
        self.prediction = graph.with_role("prediction")
        self.loss = graph.loss
        # the class boundary on the prediction node: p = 1/2, or z = 0 where the loss reads
        # the prediction as a logit (bce_logits)
        self.threshold = 0.0 if self.predicts_logit else 0.5
        self.io = self._wire()

    @property
    def predicts_logit(self) -> bool:
        """The prediction is the logit a bce_logits loss reads (an identity output), not
        σ of it."""
        p = self.prediction
        if p is None:
            return False
        node = self.graph.nodes[p]
        same = {p, node.inputs[0]} if node.op_name == "identity" else {p}
        return any(n.op_name == "bce_logits" and n.inputs[0] in same for n in self.graph.nodes)

    @classmethod
    def from_spec(
        cls,
        n_inputs: int,
        layers: Sequence[Layer | tuple[int, str]],
        loss: str,
        *,
        init: str = "glorot",
        init_scale: float = 0.7,
        seed: int = 0,
        l2: float = 0.0,
        l1: float = 0.0,
        weights: dict[str, np.ndarray] | None = None,
        task: str | None = None,
        dtype="float32",
        capacity: int = DEFAULT_CAPACITY,
        image: tuple[int, int, int] | None = None,
        features: Sequence[str] | None = None,
    ) -> Model:
        """Build a network from (units, activation) layers (or Layer records: conv and
        pooling layers need `image`, the inputs' (C, H, W)); weights by hand or from `init`.

        features: engineered input columns of the n_inputs data columns, e.g. ["x1", "x2",
        "x1^2", "x1*x2", "sin(x1)"] (nnviz.data.features): the graph computes them from x as
        node φ, and the first layer reads those (W1 has a row per feature)."""
        layers = tuple(Layer(*lay) if isinstance(lay, tuple) else lay for lay in layers)
        wiring = None
        width = n_inputs
        if features:
            from nnviz.data.features import parse_features

            fmap = parse_features(list(features), n_inputs)
            wiring = (fmap.names, fmap.table(), n_inputs)
            width = len(fmap.names)
        start = init_weights(width, layers, init, init_scale, seed, image)
        if weights:
            start.update(weights)
        graph = build_mlp(width, layers, loss, start, l2, image, l1=l1, features=wiring)
        if task is None:
            task = {"cross_entropy": "multiclass", "mse": "regression", "mae": "regression"}.get(
                loss, "binary"
            )
        return cls(graph, task=task, dtype=dtype, capacity=capacity, spec=(width, layers, loss))

    def _wire(self) -> np.ndarray:
        io = np.zeros(5, np.int64)
        offset = self.program.offset
        if self.x is not None:
            io[loop.X_OFF] = offset(self.x)
        if self.y is not None:
            io[loop.Y_OFF] = offset(self.y)
        if self.loss is not None:
            io[loop.LOSS_OFF] = offset(self.loss)
        if self.prediction is not None:
            io[loop.PRED_OFF] = offset(self.prediction)
        io[loop.ACC_MODE] = {
            "binary": loop.ACC_BINARY,
            "multiclass": loop.ACC_ARGMAX,
            "regression": loop.ACC_NONE,
        }[self.task]
        return io

    # ------------------------------------------------------------ reading
    @property
    def input_names(self) -> tuple[str, ...]:
        """The names of the columns the first layer reads: the engineered features (node φ),
        else the data's columns x1, x2, …"""
        phi = self.graph.with_role("features")
        if phi is not None:
            return self.graph.nodes[phi].columns
        cols = self.graph.nodes[self.x].cols if self.x is not None else 0
        return tuple(f"x{j + 1}" for j in range(cols))

    def role(self, role: str, layer: int | None = None) -> int | None:
        """The node with this role (nnviz.engine.graph.ROLES): e.g. "loss", "prediction",
        "output_pre"; for a per-layer role ("weights", "bias", "hidden_pre", "hidden") the
        one of 1-based `layer`, the first by default. None when the graph has none."""
        found = self.graph.all_with_role(role)
        n = 1 if layer is None else layer
        return found[n - 1] if 1 <= n <= len(found) else None

    def roles(self, role: str) -> list[int]:
        """Every node with this role, in order (one per layer for the per-layer roles)."""
        return self.graph.all_with_role(role)

    @property
    def dtype(self) -> np.dtype:
        return self.program.dtype

    def value(self, name: str) -> np.ndarray:
        """The node's value in the last pass (fit's final evaluation, evaluate, predict,
        backprop): one row per sample of that pass's batch — for a pass over more rows than
        the capacity, its last chunk. A view: copy it to keep it."""
        return self.program.value(name)

    def grad(self, name: str) -> np.ndarray:
        """∂loss/∂node from the last backward pass (backprop, or a step taken by hand);
        fit's updates clear the gradients as they apply them. A view."""
        return self.program.grad(name)

    def layer_params(self, layer: int) -> tuple[str, ...]:
        """The parameter names of 1-based `layer` (W<k>, b<k>); a GraphError when it has none
        (a pooling layer) or there is no such layer."""
        names = tuple(f"{p}{layer}" for p in ("W", "b"))
        known = {self.program.name(i) for i in self.program.param_indices}
        if not all(name in known for name in names):
            raise GraphError(f"layer {layer} has no parameters (W{layer}, b{layer})")
        return names

    def set_trainable(self, layer: int, trainable: bool) -> None:
        """Freeze (False) or unfreeze 1-based `layer` for the optimizers made from now on
        (nnviz.fit's included); a running optimizer is told with Optimizer.freeze/unfreeze
        (or Session.set_trainable, which does both)."""
        for name in self.layer_params(layer):
            self.graph.nodes[self.graph.find(name)].frozen = not trainable

    def params(self) -> dict[str, np.ndarray]:
        return self.program.params()

    def set_params(self, values: dict[str, np.ndarray]) -> None:
        self.program.set_params(values)

    def dropout_masks(self, rows: int | None = None) -> dict[str, np.ndarray]:
        """Each dropout node's mask of the last training step (1 kept, 0 dropped), by the
        dropout node's name: copies of its first `rows` rows (default: the last pass's).
        Evaluation and prediction run without dropout and leave the masks in place; the
        Trainer's dropout_masks() knows the step's row count."""
        rows = self.program.batch if rows is None else int(rows)
        out = {}
        for node in self.graph.nodes:
            if node.op_name == "dropout":
                mask = node.inputs[1]
                cols = self.graph.nodes[mask].cols
                off = self.program.offset(mask)
                out[node.name] = self.program.values[off : off + rows * cols].reshape(rows, cols)
                out[node.name] = out[node.name].copy()
        return out

    @property
    def n_params(self) -> int:
        return self.program.n_param

    def summary_rows(self) -> list[tuple[str, str, int]]:
        if self.spec is None:
            return [
                (self.graph.nodes[i].name, str(self.program.shape(i)), self.program.value(i).size)
                for i in self.program.param_indices
            ]
        return summary_rows(self.spec[0], self.spec[1], self.graph.nodes[self.x].image)

    def summary(self) -> str:
        if self.spec is None:
            return "\n".join(
                f"{name}: {shape} {count}" for name, shape, count in self.summary_rows()
            )
        return summary_text(self.spec[0], self.spec[1], self.graph.nodes[self.x].image)

    # ------------------------------------------------------------ running
    def _check_x(self, X) -> np.ndarray:
        if self.x is None:
            raise GraphError("this graph has no input node 'x'")
        X = np.ascontiguousarray(X, dtype=self.dtype)
        if X.ndim == 1:
            X = X.reshape(-1, 1) if self.graph.nodes[self.x].cols == 1 else X.reshape(1, -1)
        cols = self.graph.nodes[self.x].cols
        if X.ndim != 2 or X.shape[1] != cols:
            raise GraphError(f"node 'x': expected {cols} columns, got shape {X.shape}")
        return X

    def _check_y(self, Y, rows: int) -> np.ndarray:
        Y = np.ascontiguousarray(Y, dtype=self.dtype)
        cols = self.graph.nodes[self.y].cols
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y.shape != (rows, cols):
            raise GraphError(f"node 'y': expected shape ({rows}, {cols}), got {Y.shape}")
        return Y

    def output(self, X, node: str | None = None) -> np.ndarray:
        """A node's value for every row of X (the prediction by default), in chunks."""
        X = self._check_x(X)
        i = self.prediction if node is None else self.program.find(node)
        nd = self.graph.nodes[i]
        if nd.rows is not None:
            raise GraphError(f"node '{nd.name}' is not computed per sample")
        out = np.empty((X.shape[0], nd.cols), self.dtype)
        with blas.one_thread():
            loop.predict_into(
                self.program.meta,
                self.program.consts,
                self.program.values,
                X,
                self.io,
                self.program.offset(i),
                nd.cols,
                self.program.capacity,
                i + 1,
                out,
                team.SOLO,
            )
        self._rows_written(X.shape[0])
        return out

    def predict(self, X) -> np.ndarray:
        return self.output(X)

    def evaluate(self, X, Y, *, paired: bool | None = None) -> tuple[float, float | None]:
        """(mean loss, accuracy) over all rows; accuracy is None for regression.

        `paired`: share the big GEMMs and copies with a helper thread (helper.py); None
        does when the network is big enough. The numbers are the same either way.
        """
        X = self._check_x(X)
        Y = self._check_y(Y, X.shape[0])
        if X.shape[0] == 0:
            raise GraphError("nothing to evaluate: no rows")
        p = self.program
        if paired is None:
            paired = helper.worth_pairing(p, p.capacity)
        order = np.arange(X.shape[0], dtype=np.int64)
        s1, s2, hyper = helper.spare_arrays(self.dtype)
        io = self.io
        with helper.helper_for(paired, p.values, p.grads, s1, s2, hyper, X, Y, order, io) as ctl:
            mean_loss, correct = loop.evaluate(
                p.meta, p.consts, p.values, X, Y, self.io, self.threshold, p.capacity,
                self.loss + 1, order, ctl,
            )  # fmt: skip
        self._rows_written(X.shape[0])
        acc = None if self.task == "regression" else correct / X.shape[0]
        return float(mean_loss), acc

    def _rows_written(self, n_rows: int) -> None:
        """After a pass over n_rows in chunks of `capacity`, the buffers hold its last chunk:
        value() and grad() show those rows, not the whole capacity."""
        if n_rows > 0:
            self.program.set_batch(
                n_rows - (n_rows - 1) // self.program.capacity * self.program.capacity
            )

    def backprop(self, X, Y) -> float:
        """One forward and backward pass over X and Y (at most `capacity` rows), no update:
        afterwards value() and grad() show every node for this batch. Returns the loss."""
        X = self._check_x(X)
        Y = self._check_y(Y, X.shape[0])
        if X.shape[0] == 0:
            raise GraphError("nothing to backpropagate: no rows")
        if X.shape[0] > self.program.capacity:
            raise GraphError(
                f"{X.shape[0]} rows do not fit in one pass (capacity {self.program.capacity})"
            )
        p = self.program
        p.feed(self.x, X)
        p.feed(self.y, Y)
        p.grads[:] = 0
        p.forward()
        p.seed()
        p.backward()
        return float(p.value(self.loss)[0, 0])
