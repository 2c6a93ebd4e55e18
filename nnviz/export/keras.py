"""A Plan as a Keras 3 script in the course's recipe: a Sequential of Dense layers, an
optimizer, compile with a loss and metrics, fit, evaluate.

Exact mappings (the same formulas, up to float rounding):
- Dense keeps its kernel as (inputs, units), as nnviz writes W;
- softmax + cross_entropy is CategoricalCrossentropy(from_logits=True) on a linear output
  layer and bce_logits BinaryCrossentropy(from_logits=True), as nnviz fuses them; bce is
  written out, because nnviz clamps p to [ε, 1 − ε] with the gradient passing through
  where Keras's clip stops it;
- l2 is kernel_regularizer=L2(c): c·ΣW² over the weights, biases excluded (l1 is L1(c), both
  L1L2);
- SGD, momentum and Nesterov are keras.optimizers.SGD (its velocity holds −lr × PyTorch's,
  the same steps while the rate is constant). Keras's Adam adds ε to √v before the bias
  correction and its RMSprop and Adagrad add ε under the root; nnviz (like PyTorch) adds
  it to the root after, so the script subclasses each to take nnviz's step;
- each epoch is one fit() over the rows in nnviz's order (shuffle=False), the schedule a
  LearningRateScheduler in closed form.
Weight decay (Keras's is decoupled) and momentum under a changing rate are refused in plan.py.
"""

from __future__ import annotations

from nnviz.export import source
from nnviz.export.plan import Plan

# The update nnviz takes, in keras.ops, for the optimizers whose Keras form differs.
_CUSTOM = {
    "adam": '''\
class Adam(keras.optimizers.Adam):
    """Adam as nnviz (and PyTorch) take its step: ε is added to √v̂ after the bias correction.
    (keras.optimizers.Adam adds it to √v before: a slightly different step.)"""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign(m, self.beta_1 * m + (1 - self.beta_1) * g)
        self.assign(v, self.beta_2 * v + (1 - self.beta_2) * g * g)
        m_hat = m / (1 - ops.power(ops.cast(self.beta_1, variable.dtype), t))
        v_hat = v / (1 - ops.power(ops.cast(self.beta_2, variable.dtype), t))
        self.assign_sub(variable, lr * m_hat / (ops.sqrt(v_hat) + self.epsilon))''',
    "rmsprop": '''\
class RMSprop(keras.optimizers.RMSprop):
    """RMSprop as nnviz (and PyTorch) take its step: g / (√v + ε).
    (keras.optimizers.RMSprop takes g / √(v + ε).)"""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        v = self._velocities[self._get_variable_index(variable)]
        self.assign(v, self.rho * v + (1 - self.rho) * g * g)
        self.assign_sub(variable, lr * g / (ops.sqrt(v) + self.epsilon))''',
    "adagrad": '''\
class Adagrad(keras.optimizers.Adagrad):
    """Adagrad as nnviz (and PyTorch) take its step: g / (√Σg² + ε), the sum starting at 0.
    (keras.optimizers.Adagrad takes g / √(Σg² + ε).)"""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        total = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(total, g * g)
        self.assign_sub(variable, lr * g / (ops.sqrt(total) + self.epsilon))''',
}


def _uses_ops(plan: Plan) -> bool:
    return plan.loss == "bce" or plan.optimizer in _CUSTOM


def _logits_loss(plan: Plan) -> bool:
    return plan.loss in ("cross_entropy", "bce_logits")


def render(plan: Plan) -> str:
    parts = [
        source.docstring(plan, "Keras", "python; it needs Keras 3, torch and numpy"),
        _imports(plan),
        source.data_source(plan),
        _model(plan),
        source.start_source(plan),
        _set_weights(),
        _optimizer(plan),
        _compile(plan),
        _fit(plan),
        _evaluate(plan),
    ]
    head = parts[0] + "\n\n" + parts[1]
    rest = [p.strip("\n") for p in parts[2:] if p]
    return "\n\n\n".join([head, *rest]) + "\n"


def _imports(plan: Plan) -> str:
    lines = ["import os", *source.data_imports(plan)]
    lines += [
        "",
        '# Keras 3 runs on PyTorch, JAX or TensorFlow; this script was checked on "torch".',
        'os.environ.setdefault("KERAS_BACKEND", "torch")',
        "",
        "import keras  # noqa: E402",
        "import numpy as np  # noqa: E402",
        f"from keras import {'layers, ops' if _uses_ops(plan) else 'layers'}  # noqa: E402",
        "",
        f'keras.config.set_floatx("{plan.dtype}")  # nnviz trains this scenario in {plan.dtype}',
    ]
    return "\n".join(lines)


def _model(plan: Plan) -> str:
    lines = [
        f"# Step 1: the model: {plan.n_params:,} parameters.",
        "model = keras.Sequential(",
        "    [",
        f"        keras.Input(shape=({plan.n_inputs},)),",
    ]
    last = len(plan.layers)
    for k, d in enumerate(plan.layers, start=1):
        act = d.activation
        if act == "identity" or (k == last and _logits_loss(plan)):
            act = None
        args = [str(d.units), f'activation="{act}"' if act else "activation=None"]
        if plan.l2 and plan.l1:
            args.append("kernel_regularizer=keras.regularizers.L1L2(l1=L1, l2=L2)")
        elif plan.l2:
            args.append("kernel_regularizer=keras.regularizers.L2(L2)")
        elif plan.l1:
            args.append("kernel_regularizer=keras.regularizers.L1(L1)")
        if not d.trainable:
            args.append("trainable=False")
        name = "output" if k == last else f"hidden{k}"
        args.append(f'name="{name}"')
        lines.append(f"        layers.Dense({', '.join(args)}),")
    lines += ["    ]", ")"]
    out = plan.layers[-1].activation
    if _logits_loss(plan) and out in ("softmax", "sigmoid"):
        fn = "ops.softmax(model(x))" if out == "softmax" else "ops.sigmoid(model(x))"
        lines += [
            f"# The output layer's {out} is inside the loss (nnviz fuses the two as well, for",
            f"# stability): the model returns logits and {fn} the probabilities.",
        ]
    if plan.l1:
        lines.insert(0, f"L1 = {source.hyper(plan.l1)}  # nnviz's l1: L1 · Σ|W|, biases excluded")
    if plan.l2:
        lines.insert(0, f"L2 = {source.hyper(plan.l2)}  # nnviz's l2: L2 · ΣW², biases excluded")
    return "\n".join(lines)


def _set_weights() -> str:
    return """\
# Dense keeps its kernel as (inputs, units), as nnviz writes W.
for k, layer in enumerate(model.layers, start=1):
    layer.set_weights([START[f"W{k}"], START[f"b{k}"]])
model.summary()"""


def _optimizer(plan: Plan) -> str:
    h = {name: source.hyper(v) for name, v in plan.hyper.items()}
    kind = plan.optimizer
    lines = [f"# Step 2: the optimizer ({kind}, as nnviz's: every hyperparameter written out)."]
    if kind == "sgd":
        call = f"keras.optimizers.SGD(learning_rate={h['lr']})"
    elif kind in ("momentum", "nesterov"):
        nesterov = "True" if kind == "nesterov" else "False"
        call = (
            f"keras.optimizers.SGD(learning_rate={h['lr']}, momentum={h['momentum']}, "
            f"nesterov={nesterov})"
        )
    else:
        lines += [_CUSTOM[kind], ""]
        if kind == "adam":
            call = (
                f"Adam(learning_rate={h['lr']}, beta_1={h['beta1']}, beta_2={h['beta2']}, "
                f"epsilon={h['eps']})"
            )
        elif kind == "rmsprop":
            call = f"RMSprop(learning_rate={h['lr']}, rho={h['alpha']}, epsilon={h['eps']})"
        else:
            call = (
                f"Adagrad(learning_rate={h['lr']}, initial_accumulator_value=0.0, "
                f"epsilon={h['eps']})"
            )
        lines.append("")
    lines.append(f"optimizer = {call}")
    return "\n".join(lines)


def _compile(plan: Plan) -> str:
    lines = ["# Step 3: the loss (a mean over the batch, as nnviz's) and compile."]
    if plan.loss == "bce":
        eps = "1e-7" if plan.dtype == "float32" else "1e-12"
        lines += [
            f"BCE_EPS = {eps}  # nnviz's clamp in {plan.dtype}",
            "",
            "",
            "def bce_loss(y_true, y_pred):",
            '    """Binary cross-entropy as nnviz computes it: −(y ln p + (1 − y) ln(1 − p)) in',
            "    float64, with p clamped to [ε, 1 − ε] so that ln never sees 0 and the gradient",
            "    passing through the clamp unchanged (Keras's own clip stops the gradient there;",
            '    the same numbers while p stays inside)."""',
            '    p = ops.cast(y_pred, "float64")',
            "    p_safe = p + ops.stop_gradient(ops.clip(p, BCE_EPS, 1 - BCE_EPS) - p)",
            '    y = ops.cast(y_true, "float64")',
            "    loss = -(y * ops.log(p_safe) + (1 - y) * ops.log(1 - p_safe))",
            "    return ops.cast(ops.mean(loss, axis=-1), y_pred.dtype)",
            "",
            "",
        ]
        loss = "bce_loss"
    else:
        loss = {
            "mse": '"mean_squared_error"',
            "mae": '"mean_absolute_error"',
            "bce_logits": "keras.losses.BinaryCrossentropy(from_logits=True)",
            "cross_entropy": "keras.losses.CategoricalCrossentropy(from_logits=True)",
        }[plan.loss]
    if plan.task == "regression":
        metrics = "[]"
    elif plan.task == "multiclass":
        metrics = '["categorical_accuracy"]'
    elif plan.loss == "bce_logits":
        metrics = "[keras.metrics.BinaryAccuracy(threshold=0.0)]"  # on logits: p > 0.5
    else:
        metrics = '["binary_accuracy"]'
    lines += [
        "model.compile(",
        "    optimizer=optimizer,",
        f"    loss={loss},",
        f"    metrics={metrics},",
        ")",
    ]
    return "\n".join(lines)


def _fit(plan: Plan) -> str:
    lines = [
        source.comment(
            f"Step 4: fit the model: {source.epochs_text(plan)} of mini-batches of "
            f"{plan.batch_size}, one fit() per epoch over the rows in nnviz's order (its loss is "
            "the mean of the epoch's mini-batch losses, before each update, as nnviz's)."
        ),
        f"EPOCHS = {plan.epochs}",
        f"BATCH_SIZE = {plan.batch_size}",
    ]
    if plan.shuffle:
        lines += [f"SEED = {plan.seed}", "", "", source.ORDER_SOURCE, "", ""]
        order = "nnviz_order(len(x_train), SEED, epoch)"
    else:
        why = "one batch of every row" if plan.batch_size >= plan.n_train else "shuffle = false"
        lines.append(f"# No shuffling ({why}): the rows in order, as nnviz takes them.")
    callbacks = ""
    if plan.schedule != "constant":
        base, gamma = source.hyper(plan.hyper["lr"]), source.hyper(plan.gamma)
        rate = (
            f"{base} * {gamma} ** (epoch // {plan.schedule_step})"
            if plan.schedule == "step"
            else f"{base} * {gamma} ** epoch"
        )
        lines += [
            f"# The learning rate per epoch: {source.schedule_text(plan)}.",
            f"schedule = keras.callbacks.LearningRateScheduler(lambda epoch: {rate})",
        ]
        callbacks = ", callbacks=[schedule]"
    accuracy = plan.task != "regression"
    acc_key = "categorical_accuracy" if plan.task == "multiclass" else "binary_accuracy"
    report = "Loss: {history[-1]:.6f}"
    if accuracy:
        report += ", Accuracy: {accuracy:.4f}"
    every = source.print_every(plan)
    line = f'print(f"Epoch [{{epoch + 1}}/{{EPOCHS}}], {report}")'
    show = (
        f"    {line}"
        if every == 1
        else f"    if (epoch + 1) % {every} == 0 or epoch + 1 == EPOCHS:\n        {line}"
    )
    rows = "x_train[order], y_train[order]" if plan.shuffle else "x_train, y_train"
    lines += ["history = []", "for epoch in range(EPOCHS):"]
    if plan.shuffle:
        lines.append(f"    order = {order}")
    lines += [
        "    fit = model.fit(",
        f"        {rows},",
        "        batch_size=BATCH_SIZE,",
        "        epochs=epoch + 1,",
        "        initial_epoch=epoch,",
        "        shuffle=False,",
        "        verbose=0,",
        *(["        callbacks=[schedule],"] if callbacks else []),
        "    )",
        '    history.append(fit.history["loss"][0])',
    ]
    if accuracy:
        lines.append(f'    accuracy = fit.history["{acc_key}"][0]')
    lines.append(show)
    return "\n".join(lines)


def _evaluate(plan: Plan) -> str:
    if plan.task == "regression":
        get = "loss = model.evaluate(x, y, batch_size=len(x), verbose=0)\n    return loss, None"
        show = "loss {%s_loss:.6f}"
    else:
        get = (
            "loss, accuracy = model.evaluate(x, y, batch_size=len(x), verbose=0)\n"
            "    return loss, accuracy"
        )
        show = "loss {%s_loss:.6f}, accuracy {%s_accuracy:.4f}"
    train = show.replace("%s", "train")
    test = show.replace("%s", "test")
    return f'''\
# Step 5: test the model.
def evaluate(x, y):
    """(mean loss, accuracy) over all rows, as nnviz's final result reports them."""
    {get}


train_loss, train_accuracy = evaluate(x_train, y_train)
print(f"Training set: {train}")
if x_test is not None:
    test_loss, test_accuracy = evaluate(x_test, y_test)
    print(f"Test set: {test}")'''
