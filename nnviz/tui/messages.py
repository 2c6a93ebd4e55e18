"""What training workers post to the interface thread: dataclasses carrying copies (safe to keep
while the worker goes on training)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from nnviz.explorer import Snapshot
    from nnviz.tui.mnist.live import EpochData, Live


# ---------------------------------------------------------------- the explorer's worker
@dataclass
class TrainingUpdate(Message):
    """A frame's numbers from the explorer's training worker."""

    snap: Snapshot
    generation: int  # frames of a worker already stopped are dropped
    final: bool = False


# ---------------------------------------------------------------- the MNIST view's worker
@dataclass
class TrainingStarted(Message):
    compile_s: float
    epochs: int
    batches: int


@dataclass
class LiveUpdate(Message):
    """The parameters and one sample's activations, several times a second."""

    live: Live
    rate: float  # training samples per second in this run


@dataclass
class EpochUpdate(Message):
    """Epochs finished since the last one (their rows), maybe their evaluation, and a Live."""

    rows: list[dict]
    data: EpochData | None
    live: Live
    rate: float


@dataclass
class TrainingStopped(Message):
    reason: str  # "finished", "epoch", "paused", "diverged", "error"
    text: str = ""
    samples: int = 0  # trained in this run, after warming up …
    seconds: float = 0.0  # … in this many seconds (to the last progress or epoch)
    rows: list[dict] = field(default_factory=list)  # epochs finished since the last EpochUpdate


# ---------------------------------------------------------------- the kernels in the background
@dataclass
class KernelsChanged(Message):
    """The child process compiling the kernels moved on (nnviz.warmup.KernelState)."""

    state: object
