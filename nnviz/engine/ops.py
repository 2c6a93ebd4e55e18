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
CONV2D = 22
MAXPOOL = 23
AVGPOOL = 24
RESHAPE = 25
L1 = 26
FEATURES = 27
# Codes are unique and need not be consecutive: the dropout row takes 30, apart from the
# others, so that rows added elsewhere do not collide with it.
DROPOUT = 30


@dataclass(frozen=True)
class Op:
    code: int
    name: str
    arity: int
    formula: str  # how the node reads: {a}, {b}, {d} are the inputs' names, {c} the constant
    local: str  # ∂out/∂input as a student writes it; {out} is this node, {a}/{b} its inputs
    kind: str  # leaf | linear | elementwise | rowwise | reduce | loss | image | shape | feature
    layout: str = ""  # image ops: how the numbers are laid out and the rule element by element


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
    # |a| has no derivative at 0: the rule takes the subgradient 0 there (sign(0) = 0)
    Op(L1, "l1", 1, "{c}·Σ |{a}|", "{c}·sign({a})", "reduce"),
    # Image ops. A batch of images is one row per sample of C·H·W numbers, channel by channel,
    # each channel row by row: element [c, y, x] of a row sits at (c·H + y)·W + x.
    Op(
        CONV2D,
        "conv2d",
        3,
        "{a} ⋆ {b} + {d}",
        "∂/∂{b}[f,c,u,v] = Σₙᵢⱼ ∂L/∂{out}[n,f,i,j]·{a}[n,c,s·i+u−p,s·j+v−q], "
        "∂/∂{d}[f] = Σₙᵢⱼ ∂L/∂{out}[n,f,i,j], "
        "∂/∂{a}[n,c,y,x] = Σ_f,u,v ∂L/∂{out}[n,f,(y−u+p)/s,(x−v+q)/s]·{b}[f,c,u,v]",
        "image",
        "x: batch × C·H·W; filters K: F × C·k·k (row f is filter f, as C × k × k); bias: 1 × F; "
        "out: batch × F·H'·W' with out[n,f,i,j] = bias[f] + Σ_c,u,v K[f,c,u,v]·x[n,c,s·i+u−p,"
        "s·j+v−q] (x is 0 outside the image; p, q the padding above and left; stride s); "
        "H' = ⌊(H + padding − k)/s⌋ + 1; valid: no padding, same: H' = ⌈H/s⌉",
    ),
    Op(
        MAXPOOL,
        "maxpool",
        1,
        "maxpool({a})",
        "1 at each window's first maximum, 0 elsewhere (the gradient goes to the argmax)",
        "image",
        "x: batch × C·H·W; out: batch × C·H'·W' with out[n,c,i,j] = max_u,v x[n,c,s·i+u,s·j+v] "
        "over a k × k window, stride s; H' = ⌊(H − k)/s⌋ + 1",
    ),
    Op(
        AVGPOOL,
        "avgpool",
        1,
        "avgpool({a})",
        "1/k² for each cell of the window",
        "image",
        "x: batch × C·H·W; out: batch × C·H'·W' with out[n,c,i,j] = mean_u,v x[n,c,s·i+u,s·j+v] "
        "over a k × k window, stride s; H' = ⌊(H − k)/s⌋ + 1",
    ),
    Op(
        RESHAPE,
        "reshape",
        1,
        "{a}",
        "1 (the same numbers, read with another shape)",
        "shape",
        "the same row of numbers, read as an image C × H × W or as a flat vector: "
        "flattening keeps the order (c, y, x)",
    ),
    # {b} is the table of the features (a constant): a row per output column, saying which
    # product of powers of {a}'s columns, or which sin/cos of one column, it is
    Op(
        FEATURES,
        "features",
        2,
        "φ({a})",
        "∂φ/∂{a}: p·x^(p−1)·(the other factors) for a product, cos x for sin x, −sin x for cos x",
        "feature",
        "x: batch × D; table: F × 7 rows [kind, column, power, column, power, column, power] "
        "(kind 0: Π x[column]^power, power 0 is no factor; 1: sin x[column]; 2: cos x[column]); "
        "out: batch × F",
    ),
    # {b} is the mask leaf (1 keeps a unit, 0 drops it), drawn afresh each training step;
    # in evaluation the op passes {a} through unchanged
    Op(DROPOUT, "dropout", 2, "{a} ⊙ {b} / (1 − {c})", "{b} / (1 − {c})", "elementwise"),
)

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
BY_CODE: dict[int, Op] = {op.code: op for op in OPS}

# Two loss rows are fused where the plain composition is numerically unstable:
# bce_logits avoids ln(σ(z)) underflow, softmax_ce avoids ln(softmax(z)) underflow.
LEAF_CODES = frozenset((INPUT, PARAM, CONST))
