"""One training step taken by hand, node by node (no textual here).

The protocol is the Trainer's (see the comment above Trainer.next_batch_rows): feed the next
batch, zero the gradients, run every node forward one at a time, seed ∂L/∂L = 1, run every
node's VJP rule from the last node down, update the parameters, count the step. The result
equals one step of Trainer.run() bit for bit. Until the update nothing a later step depends on
has changed, so a step can be abandoned at any point.
"""

from __future__ import annotations

import numpy as np

IDLE = "idle"  # no batch fed
FORWARD = "forward"  # nodes [0, pos) computed
BACKWARD = "backward"  # forward done; VJP rules of nodes [pos, n) run (pos == n: not seeded)
UPDATE = "update"  # every gradient computed; the optimizer step is next


class StepError(RuntimeError):
    """A step asked for out of order (the message says what to do instead)."""


class BatchStepper:
    def __init__(self, session):
        self.session = session
        self.program = session.model.program
        self.n = len(self.program)
        self.phase = IDLE
        self.pos = 0
        self.rows: np.ndarray | None = None  # training rows of the batch being stepped

    @property
    def active(self) -> bool:
        return self.phase != IDLE

    @property
    def seeded(self) -> bool:
        return self.phase == UPDATE or (self.phase == BACKWARD and self.pos < self.n)

    def forward_done(self, i: int) -> bool:
        """Whether node i's value belongs to the current batch."""
        if self.phase == FORWARD:
            return i < self.pos
        return self.phase in (BACKWARD, UPDATE)

    def backward_done(self, i: int) -> bool:
        """Whether node i's VJP rule has run (its inputs have received its contribution)."""
        if self.phase == BACKWARD:
            return i >= self.pos
        return self.phase == UPDATE

    def grad_ready(self, i: int) -> bool:
        """Whether ∂L/∂node i is complete: the rule of every consumer on the way to the loss has
        run (p, the softmax beside the fused loss, sends nothing back)."""
        if self.phase == UPDATE:
            return True
        if self.phase != BACKWARD or not self.seeded:
            return False
        if i == self.program.graph.loss:
            return True
        on_path = [c for c in self.program.graph.consumers(i) if self.program.needs_grad(c)]
        return bool(on_path) and all(c >= self.pos for c in on_path)

    def _begin(self) -> None:
        trainer = self.session.trainer
        self.rows = trainer.feed_next_batch()
        self.session.optimizer.zero_grad()
        self.phase = FORWARD
        self.pos = 0

    def next_node(self) -> int | None:
        """The node the next forward or backward step runs."""
        if self.phase == FORWARD:
            return self.pos
        if self.phase == BACKWARD:
            return self.pos - 1
        return None

    def forward(self) -> str:
        """Compute the next node's value (feeding a new batch first when idle)."""
        if self.phase == IDLE:
            self._begin()
            return f"fed batch {self._where()} ({len(self.rows)} rows); gradients zeroed"
        if self.phase != FORWARD:
            raise StepError("the forward pass is done: press b to step backward")
        i = self.pos
        self.program.forward(i, i + 1)
        self.pos += 1
        if self.pos == self.n:
            self.phase = BACKWARD
        return f"forward {self.program.graph.formula(i)}"

    def backward(self) -> tuple[str, bool]:
        """Run the next node's VJP rule (seeding first), or the update after the last one.

        Returns (what was done, whether the step was completed by an update)."""
        if self.phase in (IDLE, FORWARD):
            raise StepError("finish the forward pass first: press f (or s for the whole step)")
        if self.phase == UPDATE:
            self.session.optimizer.step()
            self.session.trainer.count_manual_step()
            self.phase = IDLE
            self.pos = 0
            return f"updated the parameters ({self.session.optimizer.kind})", True
        text = ""
        if self.pos == self.n:
            self.program.seed()
            text = "seeded ∂L/∂L = 1; "
        i = self.pos - 1
        self.program.backward(i, i + 1)
        self.pos -= 1
        if self.pos == 0:
            self.phase = UPDATE
        return text + f"backward through {self.program.name(i)}", False

    def finish(self) -> str:
        """Run the rest of the step, through the update."""
        if self.phase == IDLE:
            self._begin()
        while self.phase == FORWARD:
            self.forward()
        done = False
        while not done:
            _, done = self.backward()
        return "stepped a whole batch and updated the parameters"

    def abandon(self) -> None:
        """Drop a step in progress (parameters are untouched until the update)."""
        self.phase = IDLE
        self.pos = 0
        self.rows = None

    def _where(self) -> str:
        t = self.session.trainer
        return f"{t.batch_index + 1}/{t.batches_per_epoch} of epoch {t.epoch + 1}"

    def status(self) -> str:
        """One line: where the step is and what the next key does."""
        g = self.program.graph
        if self.phase == IDLE:
            return f"no batch in flight · f feeds batch {self._where()}"
        if self.phase == FORWARD:
            return f"forward {self.pos}/{self.n} · next: {g.formula(self.pos)}"
        if self.phase == BACKWARD:
            nxt = self.program.name(self.pos - 1)
            seed = "seed ∂L/∂L = 1, then " if self.pos == self.n else ""
            return f"backward {self.n - self.pos}/{self.n} · next: {seed}the rule of {nxt}"
        return f"gradients complete · next (b): {self.session.optimizer.kind} update"
