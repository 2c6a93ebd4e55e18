"""Optimizers: SGD, momentum, Nesterov, RMSprop, Adam, Adagrad and the perceptron rule.

Zeroing gradients and updating parameters live here, never in the backward pass. Every update
runs over the Program's flat parameter prefix in one jitted loop; the optimizer's state
(velocity, m, v, …) is a flat array of the same length, readable per parameter.
Formulas follow PyTorch's, so runs can be compared with it number for number.
"""

from __future__ import annotations

import numpy as np

from nnviz.engine import kernels as k
from nnviz.engine import ops, team
from nnviz.engine.graph import GraphError, Program
from nnviz.engine.jit import njit, njit_inline
from nnviz.engine.spec import OPTIMIZER_DEFAULTS, OPTIMIZERS

SGD, MOMENTUM, NESTEROV, RMSPROP, ADAM, ADAGRAD, PERCEPTRON = range(7)
KIND_CODES = {name: code for code, name in enumerate(OPTIMIZERS)}

# Learning-rate schedules, by epoch: schedule = [kind, step size, gamma, base lr].
SCHED_CONSTANT, SCHED_STEP, SCHED_EXPONENTIAL = 0, 1, 2
SCHEDULES = {"constant": SCHED_CONSTANT, "step": SCHED_STEP, "exponential": SCHED_EXPONENTIAL}

# Slots of the hyperparameter array (kept in the buffers' dtype so float32 stays float32).
LR, WEIGHT_DECAY, MOMENTUM_OR_BETA1, BETA2, EPS, SCRATCH = range(6)
HYPER_SLOTS = 8

STATE_NAMES = {
    "sgd": (),
    "momentum": ("velocity",),
    "nesterov": ("velocity",),
    "rmsprop": ("square_avg",),
    "adam": ("m", "v"),
    "adagrad": ("sum_sq",),
    "perceptron": (),
}


@njit_inline
def scheduled_lr(schedule, epoch):
    """The rate a schedule gives in `epoch` (0-based), or −1 for a constant rate (left as is).

    Jitted, and called from Python too (Optimizer.use_epoch), so that a step taken by hand
    uses the very number the training loop computes."""
    kind = int(schedule[0])
    if kind == SCHED_STEP:
        return schedule[3] * schedule[2] ** (epoch // max(int(schedule[1]), 1))
    if kind == SCHED_EXPONENTIAL:
        return schedule[3] * schedule[2] ** epoch
    return -1.0


@njit_inline
def zero_grads(m, g, batch, params=True):
    """Zero the gradient of every node whose gradient is computed (parameters' too unless
    `params` is False: an update with clear=True has zeroed those already)."""
    for i in range(m.shape[0]):
        if m[i, k.NEEDS_GRAD] and (params or m[i, k.OP] != ops.PARAM):
            rows = m[i, k.ROWS]
            if rows < 0:
                rows = batch
            off = m[i, k.OFF]
            g[off : off + rows * m[i, k.COLS]] = 0.0


@njit
def apply_update(kind, hyper, t, p, g, s1, s2, clear, ctl, spans):
    """One update of the flat parameters p from their gradient g; t is the 1-based step.

    With `clear`, each gradient is zeroed as soon as it is used: the training loop saves a
    separate pass over the parameters' gradients that way. With a helper in the team `ctl`,
    it updates the second half; p and g must then be the parameter prefixes of the value and
    gradient buffers the helper serves. `spans` (k × 2, [lo, hi) rows) are the elements to
    update (Optimizer.spans): the others are frozen, left as they are with their state.
    """
    n = p.shape[0]
    if kind == ADAM:
        # Bias corrections in float64, then stored in the scratch slots to take the dtype.
        # √v̂ = √v / √(1 − β₂ᵗ) is taken as √v times the reciprocal: one division per
        # parameter instead of two (divisions bound this loop, not memory).
        hyper[SCRATCH] = hyper[LR] / (1.0 - float(hyper[MOMENTUM_OR_BETA1]) ** t)
        hyper[SCRATCH + 1] = 1.0 / np.sqrt(1.0 - float(hyper[BETA2]) ** t)
    if spans.shape[0] != 1 or spans[0, 0] != 0 or spans[0, 1] != n:
        # some parameters are frozen: the trainable spans one after the other, on this thread
        done = 0
        for s in range(spans.shape[0]):
            lo, hi = spans[s, 0], spans[s, 1]
            if clear:
                g[done:lo] = 0.0  # a frozen span's gradient is used by nobody: cleared
            update_range(kind, hyper, p, g, s1, s2, clear, lo, hi)
            done = hi
        if clear:
            g[done:n] = 0.0
        return
    if ctl[team.ON] == 0 or n < team.MIN_UPDATE:
        update_range(kind, hyper, p, g, s1, s2, clear, 0, n)
        return
    h = team.half(n, 16)
    ctl[team.ARGS] = kind
    ctl[team.ARGS + 1] = 1 if clear else 0
    ctl[team.ARGS + 2] = h
    ctl[team.ARGS + 3] = n
    seq = team.post(ctl, team.UPDATE)
    update_range(kind, hyper, p, g, s1, s2, clear, 0, h)
    team.wait(ctl, seq)


@njit_inline
def update_range(kind, hyper, p, g, s1, s2, clear, lo, hi):
    """The update of parameters lo … hi−1 (Adam's bias corrections already in hyper)."""
    lr = hyper[LR]
    wd = hyper[WEIGHT_DECAY]
    one = p.dtype.type(1.0)
    lo = np.uint64(lo)
    hi = np.uint64(hi)
    if kind == SGD:
        for e in range(lo, hi):
            p[e] -= lr * (g[e] + wd * p[e])
            if clear:
                g[e] = 0.0
    elif kind == MOMENTUM or kind == NESTEROV:  # noqa: SIM109 (plain ints for numba)
        mu = hyper[MOMENTUM_OR_BETA1]
        for e in range(lo, hi):
            grad = g[e] + wd * p[e]
            s1[e] = mu * s1[e] + grad
            if kind == NESTEROV:
                p[e] -= lr * (grad + mu * s1[e])
            else:
                p[e] -= lr * s1[e]
            if clear:
                g[e] = 0.0
    elif kind == RMSPROP:
        alpha = hyper[MOMENTUM_OR_BETA1]
        eps = hyper[EPS]
        for e in range(lo, hi):
            grad = g[e] + wd * p[e]
            s1[e] = alpha * s1[e] + (one - alpha) * grad * grad
            p[e] -= lr * grad / (np.sqrt(s1[e]) + eps)
            if clear:
                g[e] = 0.0
    elif kind == ADAM:
        b1 = hyper[MOMENTUM_OR_BETA1]
        b2 = hyper[BETA2]
        eps = hyper[EPS]
        step_size = hyper[SCRATCH]
        inv_root_bc2 = hyper[SCRATCH + 1]
        for e in range(lo, hi):
            grad = g[e] + wd * p[e]
            s1[e] = b1 * s1[e] + (one - b1) * grad
            s2[e] = b2 * s2[e] + (one - b2) * grad * grad
            p[e] -= step_size * s1[e] / (np.sqrt(s2[e]) * inv_root_bc2 + eps)
            if clear:
                g[e] = 0.0
    elif kind == ADAGRAD:
        eps = hyper[EPS]
        for e in range(lo, hi):
            grad = g[e] + wd * p[e]
            s1[e] += grad * grad
            p[e] -= lr * grad / (np.sqrt(s1[e]) + eps)
            if clear:
                g[e] = 0.0


@njit
def perceptron_update(v, wiring, batch, eta):
    """θ ← θ + η(y − a)x for a layer of heaviside units, summed over the batch's rows.

    wiring = [x offset, y offset, a offset, W offset, b offset, inputs, units, W trainable,
    b trainable] (a frozen W or b is left as it is).
    """
    xo, yo, ao, wo, bo, n_in, n_out = (
        wiring[0],
        wiring[1],
        wiring[2],
        wiring[3],
        wiring[4],
        wiring[5],
        wiring[6],
    )
    train_w, train_b = wiring[7] != 0, wiring[8] != 0
    for r in range(batch):
        for j in range(n_out):
            err = eta * (v[yo + r * n_out + j] - v[ao + r * n_out + j])
            if err != 0.0:
                if train_w:
                    for i in range(n_in):
                        v[wo + i * n_out + j] += err * v[xo + r * n_in + i]
                if train_b:
                    v[bo + j] += err


class Optimizer:
    """An optimizer bound to a Program's parameters, with its state readable per parameter.

    It owns the learning rate and its schedule: `lr` is the base rate (what a scenario sets
    and the explorer's keys change), `set_schedule` decays it by epoch, `use_epoch(e)` puts
    epoch e's rate in force, and `lr_now()` is the rate the current (or last) update uses.
    The training loop reads `hyper`, `schedule` and `spans` directly; nobody else indexes them.

    It owns which parameters it updates, too: `freeze(names)` / `unfreeze(names)` (any time,
    between steps: nothing is recompiled), `frozen` the names left alone. It starts from the
    graph's frozen parameters (layers with trainable = false). Backward still computes every
    gradient; a frozen parameter and its optimizer state just stay as they are.
    """

    def __init__(self, program: Program, kind: str = "sgd", **params: float):
        if kind not in KIND_CODES:
            raise GraphError(f"optimizer '{kind}' is not one of {', '.join(OPTIMIZERS)}")
        allowed = OPTIMIZER_DEFAULTS[kind]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise GraphError(
                f"optimizer '{kind}': unknown setting '{unknown[0]}' "
                f"(allowed: {', '.join(allowed)})"
            )
        blocked = program.graph.steps_blocking_gradients()
        if blocked and kind != "perceptron":
            name = program.graph.nodes[blocked[0]].name
            raise GraphError(
                f"node '{name}': the heaviside step has no useful gradient, so gradient "
                f"training through it ({kind}) is refused; train it with the perceptron rule"
            )
        self.program = program
        self.kind = kind
        self.code = KIND_CODES[kind]
        self.settings = {**allowed, **{key: float(val) for key, val in params.items()}}
        for key, val in self.settings.items():
            if not np.isfinite(val) or val < 0:
                raise GraphError(f"optimizer '{kind}': {key} must be a number ≥ 0, got {val}")
        self.hyper = np.zeros(HYPER_SLOTS, program.dtype)
        self._write_hyper()
        self.schedule = np.array([SCHED_CONSTANT, 1, 1.0, self.settings["lr"]], np.float64)
        self.epoch = 0  # the epoch whose rate is in force (use_epoch)
        size = max(program.n_param, 1)
        self.state = {name: np.zeros(size, program.dtype) for name in STATE_NAMES[kind]}
        self._spare = np.zeros(1, program.dtype)
        self.t = 0  # updates taken so far
        self._frozen = {program.name(i) for i in program.param_indices
                        if program.graph.nodes[i].frozen}  # fmt: skip
        self.spans = np.zeros((1, 2), np.int64)
        self.wiring = np.zeros(9, np.int64)
        if kind == "perceptron":
            self.wiring[:7] = self._perceptron_wiring()
        self._write_spans()

    # ------------------------------------------------------------ frozen parameters
    @property
    def frozen(self) -> tuple[str, ...]:
        """The parameters the updates leave alone, in the program's order."""
        p = self.program
        return tuple(p.name(i) for i in p.param_indices if p.name(i) in self._frozen)

    def is_frozen(self, name: str) -> bool:
        self.program.param_slice(name)  # a GraphError for a name that is no parameter
        return name in self._frozen

    def freeze(self, names) -> None:
        """Leave these parameters (names, e.g. ("W1", "b1")) as they are from the next update."""
        names = [names] if isinstance(names, str) else list(names)
        for name in names:
            self.program.param_slice(name)
        self._frozen.update(names)
        self._write_spans()

    def unfreeze(self, names) -> None:
        """Update these parameters again from the next update on."""
        names = [names] if isinstance(names, str) else list(names)
        for name in names:
            self.program.param_slice(name)
        self._frozen.difference_update(names)
        self._write_spans()

    def _write_spans(self) -> None:
        """`spans`: the [lo, hi) element ranges of the trainable parameters, merged."""
        p = self.program
        spans: list[list[int]] = []
        for i in p.param_indices:
            if p.name(i) in self._frozen:
                continue
            where = p.param_slice(i)
            if spans and spans[-1][1] == where.start:
                spans[-1][1] = where.stop
            else:
                spans.append([where.start, where.stop])
        self.spans = np.array(spans, np.int64).reshape(-1, 2)
        if self.kind == "perceptron":  # the rule's own update: its W and b flags
            w, b = self._perceptron_params
            self.wiring[7] = w not in self._frozen
            self.wiring[8] = b not in self._frozen

    def _write_hyper(self) -> None:
        s = self.settings
        self.hyper[LR] = s["lr"]
        self.hyper[WEIGHT_DECAY] = s.get("weight_decay", 0.0)
        self.hyper[MOMENTUM_OR_BETA1] = s.get("momentum", s.get("alpha", s.get("beta1", 0.0)))
        self.hyper[BETA2] = s.get("beta2", 0.0)
        self.hyper[EPS] = s.get("eps", 0.0)

    @property
    def lr(self) -> float:
        return float(self.settings["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        """A new base rate; a schedule scales from it, from the epoch in force on."""
        if not np.isfinite(value) or value < 0:
            raise GraphError(f"learning rate must be a number ≥ 0, got {value}")
        self.settings["lr"] = float(value)
        self.schedule[3] = value
        self.hyper[LR] = value
        self.use_epoch(self.epoch)

    def set_schedule(self, kind: str = "constant", step: int = 1, gamma: float = 1.0) -> None:
        """Decay the base rate by epoch: 'step' multiplies it by gamma every `step` epochs,
        'exponential' every epoch, 'constant' never."""
        if kind not in SCHEDULES:
            raise GraphError(f"schedule '{kind}' is not one of {', '.join(SCHEDULES)}")
        if int(step) < 1:
            raise GraphError(f"schedule step must be at least 1 epoch, got {step}")
        if not np.isfinite(gamma) or gamma <= 0:
            raise GraphError(f"schedule gamma must be a number > 0, got {gamma}")
        self.schedule[:] = (SCHEDULES[kind], int(step), float(gamma), self.lr)
        self.use_epoch(self.epoch)

    @property
    def schedule_kind(self) -> str:
        code = int(self.schedule[0])
        return next(name for name, c in SCHEDULES.items() if c == code)

    def lr_at(self, epoch: int) -> float:
        """The rate the schedule gives in `epoch` (0-based)."""
        lr = scheduled_lr(self.schedule, int(epoch))
        return self.lr if lr < 0 else float(lr)

    def lr_formula(self, epoch: int) -> str:
        """How the schedule makes epoch `epoch`'s rate from the base rate, e.g. '0.05·0.5²'
        ('' for a constant rate)."""
        kind, step, gamma = int(self.schedule[0]), int(self.schedule[1]), float(self.schedule[2])
        if kind == SCHED_CONSTANT or gamma == 1.0:
            return ""
        power = int(epoch) // max(step, 1) if self.schedule_kind == "step" else int(epoch)
        if power == 0:
            return ""
        digits = str(power).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"{self.lr:g}·{gamma:g}{digits}"

    def use_epoch(self, epoch: int) -> None:
        """Put epoch `epoch`'s rate in force, exactly as the training loop does."""
        self.epoch = int(epoch)
        if self.epoch == 0:  # γ⁰ = 1: the base rate under every schedule, no kernel to ask
            self.hyper[LR] = self.schedule[3]
            return
        lr = scheduled_lr(self.schedule, self.epoch)
        if lr >= 0.0:
            self.hyper[LR] = lr

    def lr_now(self) -> float:
        """The rate in force: the one the current step's update uses (or the last one used)."""
        return float(self.hyper[LR])

    def hyperparameters(self) -> dict:
        """Everything that decides an update besides the gradients and the state, as plain
        numbers: what a reader needs to recompute a step."""
        return {
            "kind": self.kind,
            **self.settings,
            "lr_now": self.lr_now(),
            "schedule": self.schedule_kind,
            "schedule_step": int(self.schedule[1]),
            "gamma": float(self.schedule[2]),
            "t": self.t,
        }

    def _arrays(self):
        names = STATE_NAMES[self.kind]
        s1 = self.state[names[0]] if len(names) > 0 else self._spare
        s2 = self.state[names[1]] if len(names) > 1 else self._spare
        return s1, s2

    def zero_grad(self) -> None:
        zero_grads(self.program.meta, self.program.grads, self.program.batch)

    def step(self) -> None:
        """Update every parameter from its current gradient (or by the perceptron rule)."""
        p = self.program
        self.t += 1
        if self.code == PERCEPTRON:
            perceptron_update(p.values, self.wiring, p.batch, self.hyper[LR])
            return
        s1, s2 = self._arrays()
        n = p.n_param
        apply_update(
            self.code,
            self.hyper,
            self.t,
            p.values[:n],
            p.grads[:n],
            s1,
            s2,
            False,
            team.SOLO,
            self.spans,
        )

    def state_of(self, param: str) -> dict[str, np.ndarray]:
        """This parameter's optimizer state (views), e.g. {'m': …, 'v': …} for Adam."""
        where = self.program.param_slice(param)
        shape = self.program.shape(param)
        return {name: arr[where].reshape(shape) for name, arr in self.state.items()}

    def reset(self) -> None:
        self.t = 0
        for arr in self.state.values():
            arr[:] = 0

    def _perceptron_wiring(self) -> np.ndarray:
        g = self.program.graph
        out = g.with_role("prediction")
        x, y = g.with_role("x"), g.with_role("y")
        bad = "the perceptron rule trains a single layer of heaviside (step) units"
        if None in (out, x, y) or g.nodes[out].op_name != "step":
            raise GraphError(f"optimizer 'perceptron': {bad}")
        z = g.nodes[out].inputs[0]
        if g.nodes[z].op_name != "add":
            raise GraphError(f"optimizer 'perceptron': {bad}")
        xw, b = g.nodes[z].inputs
        if g.nodes[xw].op_name != "matmul" or g.nodes[xw].inputs[0] != x:
            raise GraphError(f"optimizer 'perceptron': {bad}")
        w = g.nodes[xw].inputs[1]
        self._perceptron_params = (g.nodes[w].name, g.nodes[b].name)
        m = self.program.meta
        n_in, n_out = g.nodes[w].rows, g.nodes[w].cols
        return np.array(
            [m[x, k.OFF], m[y, k.OFF], m[out, k.OFF], m[w, k.OFF], m[b, k.OFF], n_in, n_out],
            np.int64,
        )
