"""Stepping by hand: THE one implementation of a training step taken node by node.

A step is the Trainer's, cut into micro-steps a student can watch:

    begin      feed the next batch into x and y (when there is data), zero the gradients,
               put the epoch's learning rate in force (the optimizer's schedule)
    forward    one node's value, nodes 0 … n−1 in order
    backward   seed ∂L/∂L = 1 (with the first), then one node's VJP rule, nodes n−1 … 0
               (the perceptron rule has no backward pass: its update follows the forward)
    update     the optimizer's step; the Trainer's position moves on by one step

A whole step equals one step of `Trainer.run()` bit for bit (tests/core/test_stepper.py, for
every optimizer in float32 and float64). Until the update, nothing a later step depends on has
changed, so a step can be abandoned at any point. An expression graph (no Trainer) has no
update: its step ends after the backward pass.

API (stable; the explorer, the MNIST view, `nnviz trace` and the tests use only this):

    s = Stepper(model, optimizer, trainer=None)    or  Stepper.of(session)
    s.phase              IDLE, FORWARD, BACKWARD or UPDATE (every gradient done, update next)
    s.forward_upto       nodes [0, forward_upto) hold this pass's values
    s.backward_from      nodes [backward_from, n) have run their VJP rule in this pass
    s.seeded             ∂L/∂L = 1 is in place
    s.rows               the data rows of the batch in flight (None without data)
    s.last_node          the node the last micro-step ran (None after begin or update)
    s.next_node          the node the next forward/backward micro-step runs (None otherwise)
    s.steps_done         steps completed by this Stepper (updates, or passes for a graph)
    s.forward_done(i), s.backward_done(i), s.grad_ready(i)      per-node position
    s.has_update, s.has_backward                                what a step consists of
    s.begin() -> rows    start a step (also done by the first micro-step when IDLE)
    s.forward_node() -> i           the next node forward
    s.backward_node() -> i          the next node's VJP rule (seeding first)
    s.update()                      the optimizer step (phase UPDATE only)
    s.micro(skip_quiet=False) -> (what, node)
                         the next micro-step, whichever it is: what is "begin", "forward",
                         "backward", "update" or "done" (a graph's pass ended); with
                         skip_quiet, leaves forward and rules that send nothing back run
                         together with the next node that computes something
    s.to_update()        run the passes to the end (whole ranges), stopping before the update
    s.step()             finish the step in progress, or take a whole one
    s.steps(k)           k whole steps by hand
    s.abandon()          drop the step in progress (parameters untouched)

Threads: the Program's buffers belong to whoever runs it; a Stepper is used by one thread.
"""

from __future__ import annotations

import numpy as np

from nnviz.engine import ops
from nnviz.engine.graph import GraphError
from nnviz.engine.optim import Optimizer
from nnviz.model import Model

IDLE = "idle"  # no step in flight
FORWARD = "forward"  # nodes [0, forward_upto) computed
BACKWARD = "backward"  # forward done; VJP rules of nodes [backward_from, n) run
UPDATE = "update"  # every gradient computed; the optimizer step is next

PHASES = (IDLE, FORWARD, BACKWARD, UPDATE)


class StepError(GraphError):
    """A micro-step asked for out of order (the message says what comes next)."""


class Stepper:
    """Takes a Model's training steps by hand, node by node, exactly as the Trainer does."""

    def __init__(self, model: Model, optimizer: Optimizer, trainer=None):
        self.model = model
        self.program = model.program
        self.graph = model.graph
        self.optimizer = optimizer
        self.trainer = trainer  # nnviz.train.Trainer, or None for an expression graph
        self.n = len(self.program)
        self.loss = self.graph.loss
        self.perceptron = optimizer.kind == "perceptron"
        self.phase = IDLE
        self.forward_upto = 0
        self.backward_from = self.n
        self.seeded = False
        self.rows: np.ndarray | None = None
        self.last_node: int | None = None
        self.steps_done = 0

    @classmethod
    def of(cls, session) -> Stepper:
        """The Stepper of a Session (nnviz.session.build)."""
        return cls(session.model, session.optimizer, session.trainer)

    # ------------------------------------------------------------ what a step holds
    @property
    def has_update(self) -> bool:
        """Whether a step ends in an update (an expression graph's does not)."""
        return self.trainer is not None

    @property
    def has_backward(self) -> bool:
        """Whether a step has a backward pass (the perceptron rule's does not)."""
        return self.loss is not None and not self.perceptron

    @property
    def active(self) -> bool:
        return self.phase != IDLE

    @property
    def next_node(self) -> int | None:
        if self.phase == FORWARD:
            return self.forward_upto
        if self.phase == BACKWARD:
            return self.backward_from - 1
        return None

    def forward_done(self, i: int) -> bool:
        """Whether node i's value belongs to the batch in flight."""
        return self.phase != IDLE and i < self.forward_upto

    def backward_done(self, i: int) -> bool:
        """Whether node i's VJP rule has run in this pass (its inputs have its contribution)."""
        return self.phase != IDLE and i >= self.backward_from

    def grad_ready(self, i: int) -> bool:
        """Whether ∂L/∂node i is complete: the rule of every consumer on the way to the loss
        has run (a node off that path, such as p beside a fused loss, gets none)."""
        if self.phase == UPDATE:
            return self.program.needs_grad(i)
        if self.phase != BACKWARD or not self.seeded or not self.program.needs_grad(i):
            return False
        if i == self.loss:
            return True
        on_path = [c for c in self.graph.consumers(i) if self.program.needs_grad(c)]
        return bool(on_path) and all(c >= self.backward_from for c in on_path)

    def quiet_forward(self, i: int) -> bool:
        """A leaf: its forward computes nothing (its value was fed or is a parameter)."""
        return self.graph.nodes[i].op in ops.LEAF_CODES

    def quiet_backward(self, i: int) -> bool:
        """A rule that sends nothing back: a leaf's, or a node's off the gradient path."""
        return self.quiet_forward(i) or not self.program.needs_grad(i)

    # ------------------------------------------------------------ micro-steps
    def begin(self) -> np.ndarray | None:
        """Start a step: feed the next batch, zero the gradients, use the epoch's rate."""
        if self.phase != IDLE:
            raise StepError("a step is in flight: finish it (step) or abandon it first")
        if self.trainer is not None:
            self.rows = self.trainer.feed_next_batch()
            self.optimizer.use_epoch(self.trainer.epoch)
        else:
            self.rows = None
        self.optimizer.zero_grad()
        self.phase = FORWARD
        self.forward_upto = 0
        self.backward_from = self.n
        self.seeded = False
        self.last_node = None
        return self.rows

    def forward_node(self) -> int:
        """Compute the next node's value."""
        if self.phase != FORWARD:
            raise StepError(f"no forward step now ({self._next_words()})")
        i = self.forward_upto
        self.program.forward(i, i + 1)
        self.forward_upto += 1
        self.last_node = i
        if self.forward_upto == self.n:
            self._forward_finished()
        return i

    def backward_node(self) -> int:
        """Run the next node's VJP rule, seeding ∂L/∂L = 1 before the first."""
        if self.phase != BACKWARD:
            raise StepError(f"no backward step now ({self._next_words()})")
        if not self.seeded:
            self.program.seed()
            self.seeded = True
        i = self.backward_from - 1
        self.program.backward(i, i + 1)
        self.backward_from -= 1
        self.last_node = i
        if self.backward_from == 0:
            self._backward_finished()
        return i

    def update(self) -> None:
        """The optimizer's step from the gradients now held; the position moves on."""
        if self.phase != UPDATE:
            raise StepError(f"no update now ({self._next_words()})")
        self.optimizer.step()
        self.trainer.count_manual_step()
        self.phase = IDLE
        self.last_node = None
        self.steps_done += 1

    def micro(self, skip_quiet: bool = False) -> tuple[str, int | None]:
        """The next micro-step, whatever it is; returns (what was done, the node)."""
        if self.phase == IDLE:
            self.begin()
            if not skip_quiet:
                return "begin", None
        if self.phase == FORWARD:
            i = self.forward_node()
            while skip_quiet and self.quiet_forward(i) and self.phase == FORWARD:
                i = self.forward_node()
            return "forward", i
        if self.phase == BACKWARD:
            i = self.backward_node()
            while skip_quiet and self.quiet_backward(i) and self.phase == BACKWARD:
                i = self.backward_node()
            # the quiet rules left below run now, so the pass completes with its last node
            while skip_quiet and self.phase == BACKWARD and self.quiet_backward(self.next_node):
                self.backward_node()
            self.last_node = i
            return ("backward" if self.phase != IDLE else "done"), i
        self.update()
        return "update", None

    # ------------------------------------------------------------ whole steps
    def to_update(self) -> None:
        """Run the rest of the forward and backward passes (whole ranges: the same numbers as
        node by node), stopping before the update."""
        if self.phase == IDLE:
            self.begin()
        if self.phase == FORWARD:
            self.program.forward(self.forward_upto, self.n)
            self.forward_upto = self.n
            self.last_node = self.n - 1
            self._forward_finished()
        if self.phase == BACKWARD:
            if not self.seeded:
                self.program.seed()
                self.seeded = True
            self.program.backward(0, self.backward_from)
            self.backward_from = 0
            self.last_node = 0
            self._backward_finished()

    def step(self) -> None:
        """Finish the step in progress, or take a whole step."""
        if self.phase == IDLE:
            self.begin()
        self.to_update()
        if self.phase == UPDATE:
            self.update()

    def steps(self, count: int) -> None:
        """`count` whole steps by hand."""
        for _ in range(int(count)):
            self.step()

    def abandon(self) -> None:
        """Drop the step in progress (the parameters are untouched until the update)."""
        self.phase = IDLE
        self.forward_upto = 0
        self.backward_from = self.n
        self.seeded = False
        self.rows = None
        self.last_node = None

    # ------------------------------------------------------------ internals
    def _forward_finished(self) -> None:
        if self.has_backward:
            self.phase = BACKWARD
        elif self.has_update:
            self.phase = UPDATE
        else:
            self._pass_finished()

    def _backward_finished(self) -> None:
        if self.has_update:
            self.phase = UPDATE
        else:
            self._pass_finished()

    def _pass_finished(self) -> None:
        """An expression graph's step ends with its passes: the buffers keep their numbers."""
        self.phase = IDLE
        self.steps_done += 1

    def _next_words(self) -> str:
        return {
            IDLE: "no step in flight: begin one",
            FORWARD: "the forward pass is in progress",
            BACKWARD: "the backward pass is in progress",
            UPDATE: "every gradient is computed: the update is next",
        }[self.phase]
