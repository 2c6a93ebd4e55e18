"""The numbers the MNIST view draws, read from the engine as copies (no textual here).

The training worker calls these between chunks and posts the results; when training is idle
the view calls them itself. Either way widgets only ever see copies, never engine views.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from nnviz import beside, convolution, pca


@dataclass(frozen=True)
class Live:
    """Parameters and one sample's activations: what is redrawn several times a second."""

    epoch: int  # 0-based epoch in progress (== epochs done)
    batch: int  # batches done in that epoch
    batches: int
    steps: int
    sample: int  # test row the activations belong to
    W1: np.ndarray  # (inputs, hidden)
    W_out: np.ndarray  # (hidden, classes): the output layer's weights
    hidden: np.ndarray  # (hidden,) the first hidden activation of the sample
    probs: np.ndarray  # (classes,) p of the sample
    # a convolutional network's: each stage's image nodes for the sample, (C, H, W) each,
    # and each conv node's filters, F × C × k × k (nnviz.convolution)
    maps: dict[str, np.ndarray] | None = None
    filters: dict[str, np.ndarray] | None = None


@dataclass(frozen=True)
class EpochData:
    """Test-set predictions and the decision plane: recomputed at most once per epoch."""

    epoch: int
    steps: int  # training steps taken when these were computed
    probs: np.ndarray  # (N_test, classes) p of every test sample
    preds: np.ndarray  # (N_test,) argmax
    confusion: np.ndarray  # (classes, classes) counts; rows true, columns predicted
    classes: np.ndarray | None  # (rows, cols) class grid on the PCA plane
    extent: pca.Extent | None

    @property
    def accuracy(self) -> float:
        total = self.confusion.sum()
        return float(np.trace(self.confusion) / total) if total else float("nan")


@contextmanager
def preserved(program, keep: bool = True):
    """Put the program's values and batch size back afterwards (a stepped pass stays intact)."""
    if not keep:
        yield
        return
    values = program.values.copy()
    batch = program.batch
    try:
        yield
    finally:
        program.values[...] = values
        program.batch = batch


@dataclass(frozen=True)
class Roles:
    """The names of the nodes the view draws, found by role (Model.role), not by name."""

    hidden: str | None  # the first hidden layer's activation (None: no hidden layer)
    first_weights: str  # the weights the input is multiplied by
    output_weights: str  # the output layer's weights
    logits: str | None  # the output's pre-activation (what a fused softmax-CE reads)
    output: str | None  # the prediction (p)
    target: str | None  # the labels (y)
    loss: str | None


def roles(model) -> Roles:
    """The Roles of a model's graph."""
    name = model.program.name

    def named(role: str) -> str | None:
        i = model.role(role)
        return None if i is None else name(i)

    weights = model.roles("weights")
    return Roles(
        hidden=named("hidden"),
        first_weights=name(weights[0]),
        output_weights=name(weights[-1]),
        logits=named("output_pre"),
        output=named("prediction"),
        target=named("y"),
        loss=named("loss"),
    )


def take_live(session, sample: int, x=None, keep_values: bool = True) -> Live:
    """A Live snapshot for test row `sample` (or training row when x is given)."""
    model = session.model
    trainer = session.trainer
    ds = session.dataset
    x = ds.x_test if x is None else x
    found = roles(model)
    hidden_name, w1, w_out = found.hidden, found.first_weights, found.output_weights
    row = x[sample : sample + 1]
    stages = convolution.stages(model.program)
    maps = filters = None
    with preserved(model.program, keep_values):
        probs = model.output(row)[0].copy()
        if stages:  # the pass just made holds the sample in row 0 of every node
            names = [name for st in stages for name in (st.input, *st.maps)]
            maps = convolution.feature_maps(model.program, dict.fromkeys(names))
            filters = {st.conv: convolution.filters(model.program, st.conv) for st in stages}
        hidden = (
            model.output(row, node=hidden_name)[0].copy()
            if hidden_name
            else np.zeros(0, model.dtype)
        )
    return Live(
        epoch=trainer.epoch,
        batch=trainer.batch_index,
        batches=trainer.batches_per_epoch,
        steps=trainer.steps,
        sample=sample,
        W1=model.value(w1).copy(),
        W_out=model.value(w_out).copy(),
        hidden=hidden,
        probs=probs,
        maps=maps,
        filters=filters,
    )


def confusion_matrix(true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Counts (k, k): row = true class, column = predicted class."""
    true = np.asarray(true, np.int64)
    pred = np.asarray(pred, np.int64)
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


def evaluate_epoch(
    session,
    plane: pca.Plane | None,
    extent: pca.Extent | None,
    grid: tuple[int, int] | None,
    keep_values: bool = True,
) -> EpochData:
    """Predict every test sample (for the confusion matrix and the mistakes) and classify the
    PCA plane's grid of `grid` = (cols, rows) points."""
    t = session.trainer
    with preserved(session.model.program, keep_values):
        return epoch_data(session.model, session.dataset, t.epoch, t.steps, plane, extent, grid)


def epoch_data(model, ds, epoch: int, steps: int, plane, extent, grid) -> EpochData:
    """evaluate_epoch's numbers from `model` (the live one, or its twin), as after `steps`."""
    probs = model.predict(ds.x_test)
    classes = None
    if plane is not None and extent is not None and grid is not None:
        classes = pca.class_grid(model, plane, extent, grid[0], grid[1])
    preds = np.argmax(probs, axis=1)
    confusion = confusion_matrix(ds.labels_test, preds, ds.y_test.shape[1])
    return EpochData(epoch, steps, probs, preds, confusion, classes, extent)


class EpochEvaluator:
    """evaluate_epoch beside the training (nnviz.beside: a twin of the network with the present
    parameters, in a thread of its own), one at a time, for a worker that trains alone: the
    test set's predictions and the PCA plane's grid cost MNIST a few milliseconds to tens of
    them, four times a second, on the training's core. In line where no core is to spare."""

    def __init__(self, session):
        self.session = session
        self.beside = beside.Beside(session.model) if beside.core_to_spare() else None
        self.job = None

    def start(self, plane, extent, grid) -> EpochData | None:
        """Begin an evaluation of the present parameters; its numbers at once when it runs in
        line, else None (`ready()` gives them). None, and nothing begun, while one runs."""
        t = self.session.trainer
        epoch, steps, ds = t.epoch, t.steps, self.session.dataset
        if self.beside is None:
            with preserved(self.session.model.program, False):
                return epoch_data(self.session.model, ds, epoch, steps, plane, extent, grid)
        if self.job is None:
            self.job = self.beside.run(
                lambda twin: epoch_data(twin, ds, epoch, steps, plane, extent, grid)
            )
        return None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def ready(self, wait: bool = False) -> EpochData | None:
        """The evaluation begun, once it is done (`wait`: waits for it); None otherwise."""
        if self.job is None or not (wait or self.job.done()):
            return None
        job, self.job = self.job, None
        return job.result()


def classify_plane(session, plane, extent, grid: tuple[int, int], keep_values: bool = True):
    """The class grid (rows, cols) of the PCA plane alone, for grid = (cols, rows)."""
    with preserved(session.model.program, keep_values):
        return pca.class_grid(session.model, plane, extent, grid[0], grid[1])


def summary(values: np.ndarray) -> dict:
    """Shape, mean, std, min and max of a matrix."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return {"shape": v.shape, "mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0}
    return {
        "shape": v.shape,
        "mean": float(v.mean()),
        "std": float(v.std()),
        "min": float(v.min()),
        "max": float(v.max()),
    }
