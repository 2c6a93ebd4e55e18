"""The op table: the single list of ops the engine knows.

Each row names an op, its arity, how its formula reads and what its local derivative is.
Its forward, reverse-mode (VJP) and forward-mode (JVP) rules sit side by side in kernels.py
under the same name; tests/engine/test_op_rules.py holds one central-difference case per row
(and fails when an op has none).
Pure Python (no numba), so the scenario loader and the UI can read it cheaply.
"""

from dataclasses import dataclass

# Op codes: plain module-level ints so the jitted interpreter sees them as constants.
INPUT = 0
PARAM = 1
CONST = 2
MATMUL = 3
ADD = 4
SUB = 5
MUL = 6
SCALE = 7
SUM = 8
MEAN = 9
SIGMOID = 10
TANH = 11
RELU = 12
IDENTITY = 13
SOFTMAX = 14
STEP = 15
MSE = 16
MAE = 17
BCE = 18
BCE_LOGITS = 19
SOFTMAX_CE = 20
L2 = 21
# Codes are unique and need not be consecutive: the dropout row takes 30, apart from the
# others, so that rows added elsewhere do not collide with it.
DROPOUT = 30


@dataclass(frozen=True)
class Op:
    code: int
    name: str
    arity: int
    formula: str  # how the node reads: {a}, {b} are the inputs' names, {c} the constant
    local: str  # ∂out/∂input as a student writes it; {out} is this node, {a}/{b} its inputs
    kind: str  # leaf | linear | elementwise | rowwise | reduce | loss


OPS: tuple[Op, ...] = (
    Op(INPUT, "input", 0, "input", "", "leaf"),
    Op(PARAM, "param", 0, "parameter", "", "leaf"),
    Op(CONST, "const", 0, "constant", "", "leaf"),
    Op(MATMUL, "matmul", 2, "{a}·{b}", "∂/∂{a} = ·{b}ᵀ, ∂/∂{b} = {a}ᵀ·", "linear"),
    Op(ADD, "add", 2, "{a} + {b}", "1 (summed over rows where broadcast)", "elementwise"),
    Op(SUB, "sub", 2, "{a} − {b}", "+1 for {a}, −1 for {b}", "elementwise"),
    Op(MUL, "mul", 2, "{a} ⊙ {b}", "∂/∂{a} = {b}, ∂/∂{b} = {a}", "elementwise"),
    Op(SCALE, "scale", 1, "{c}·{a}", "{c}", "elementwise"),
    Op(SUM, "sum", 1, "Σ {a}", "1", "reduce"),
    Op(MEAN, "mean", 1, "mean({a})", "1/n", "reduce"),
    Op(SIGMOID, "sigmoid", 1, "σ({a})", "{out}(1 − {out})", "elementwise"),
    Op(TANH, "tanh", 1, "tanh({a})", "1 − {out}²", "elementwise"),
    Op(RELU, "relu", 1, "relu({a})", "[{a} > 0]", "elementwise"),
    Op(IDENTITY, "identity", 1, "{a}", "1", "elementwise"),
    Op(SOFTMAX, "softmax", 1, "softmax({a})", "{out}(δ − {out}ᵀ) per row", "rowwise"),
    Op(STEP, "step", 1, "H({a})", "0 (no useful gradient)", "elementwise"),
    Op(MSE, "mse", 2, "mean(({a} − {b})²)", "2({a} − {b})/n", "loss"),
    Op(MAE, "mae", 2, "mean(|{a} − {b}|)", "sign({a} − {b})/n", "loss"),
    Op(
        BCE,
        "bce",
        2,
        "−mean({b}·ln {a} + (1 − {b})·ln(1 − {a}))",
        "({a} − {b}) / ({a}(1 − {a})·n)",
        "loss",
    ),
    Op(BCE_LOGITS, "bce_logits", 2, "mean(ln(1 + e^{a}) − {b}·{a})", "(σ({a}) − {b})/n", "loss"),
    Op(
        SOFTMAX_CE,
        "softmax_ce",
        2,
        "−mean(Σ {b}·ln softmax({a}))",
        "(softmax({a}) − {b})/rows",
        "loss",
    ),
    Op(L2, "l2", 1, "{c}·Σ {a}²", "2·{c}·{a}", "reduce"),
    # {b} is the mask leaf (1 keeps a unit, 0 drops it), drawn afresh each training step;
    # in evaluation the op passes {a} through unchanged
    Op(DROPOUT, "dropout", 2, "{a} ⊙ {b} / (1 − {c})", "{b} / (1 − {c})", "elementwise"),
)

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
BY_CODE: dict[int, Op] = {op.code: op for op in OPS}

# Two loss rows are fused where the plain composition is numerically unstable:
# bce_logits avoids ln(σ(z)) underflow, softmax_ce avoids ln(softmax(z)) underflow.
LEAF_CODES = frozenset((INPUT, PARAM, CONST))
