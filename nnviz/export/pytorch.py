"""A Plan as a PyTorch script in the course's recipe: a model class, an optimizer, a loss, a
training loop over a DataLoader that reshuffles every epoch, and an evaluation.

Every mapping is exact (the same formulas, up to float rounding):
- nn.Linear(fan_in, units) holds nnviz's W_k transposed (PyTorch keeps (units, fan_in));
- softmax + cross_entropy is nn.CrossEntropyLoss on the logits (nnviz fuses them too), and
  bce_logits is nn.BCEWithLogitsLoss; bce is written out, because nnviz clamps p to
  [ε, 1 − ε] (ε = 1e-7 in float32, 1e-12 in float64) where nn.BCELoss caps ln at −100;
- l2 adds c·ΣW² and l1 adds c·Σ|W| over the weights (biases excluded) to the loss (abs has
  gradient 0 at 0 in PyTorch, as nnviz takes it); weight_decay is the
  optimizer's own (coupled, biases too), as in nnviz;
- SGD, momentum, Nesterov, RMSprop, Adam and Adagrad are torch.optim's, whose update
  formulas nnviz's optimizer follows (Adam's ε after the bias correction, RMSprop's ε
  outside the root, Adagrad's accumulator starting at 0), every hyperparameter written out;
- the step and exponential schedules are StepLR and ExponentialLR, stepped once per epoch;
- the batches come in nnviz's order, from a Sampler that draws nnviz's permutation.
"""

from __future__ import annotations

from nnviz.export import source
from nnviz.export.plan import Plan

_ACTIVATIONS = {"sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
                "softmax": "nn.Softmax(dim=1)"}  # fmt: skip


def _logits_loss(plan: Plan) -> bool:
    """The output activation is inside the loss: the model returns logits."""
    return plan.loss in ("cross_entropy", "bce_logits")


def render(plan: Plan) -> str:
    parts = [
        source.docstring(plan, "PyTorch", "python; it needs torch and numpy"),
        _imports(plan),
        _dtype(plan),
        source.data_source(plan),
        _tensors(),
        _model(plan),
        source.start_source(plan),
        _set_weights(plan),
        _optimizer(plan),
        _loss(plan),
        _loader(plan),
        _fit(plan),
        _evaluate(plan),
    ]
    head = parts[0] + "\n\n" + parts[1] + "\n\n" + parts[2]  # imports: one blank line after
    rest = [p.strip("\n") for p in parts[3:] if p]
    return "\n\n\n".join([head, *rest]) + "\n"


def _imports(plan: Plan) -> str:
    lines = source.data_imports(plan)
    lines += ["", "import numpy as np", "import torch", "import torch.nn as nn",
              "import torch.optim as optim"]  # fmt: skip
    sampler = ", Sampler" if plan.shuffle else ""
    lines.append(f"from torch.utils.data import DataLoader{sampler}, TensorDataset")
    return "\n".join(lines).lstrip("\n")


def _dtype(plan: Plan) -> str:
    return (
        f"# nnviz trains this scenario in {plan.dtype}.\n"
        f"torch.set_default_dtype(torch.{plan.dtype})"
    )


def _tensors() -> str:
    return """\
# nnviz keeps its data in float32 and converts it to the network's dtype.
X_train = torch.from_numpy(x_train).to(torch.get_default_dtype())
Y_train = torch.from_numpy(y_train).to(torch.get_default_dtype())
if x_test is not None:
    X_test = torch.from_numpy(x_test).to(torch.get_default_dtype())
    Y_test = torch.from_numpy(y_test).to(torch.get_default_dtype())"""


def _model(plan: Plan) -> str:
    init, forward = [], []
    last = len(plan.layers)
    for k, d in enumerate(plan.layers, start=1):
        init.append(f"        self.fc{k} = nn.Linear({d.fan_in}, {d.units})")
        act = _ACTIVATIONS.get(d.activation)
        if k == last and _logits_loss(plan):
            act = None
        if act:
            init.append(f"        self.act{k} = {act}")
            forward.append(f"        x = self.act{k}(self.fc{k}(x))")
        else:
            forward.append(f"        x = self.fc{k}(x)")
    out = plan.layers[-1].activation
    note = ""
    if _logits_loss(plan) and out in ("softmax", "sigmoid"):
        fn = "torch.softmax(model(x), dim=1)" if out == "softmax" else "torch.sigmoid(model(x))"
        note = (
            f"\n\n    # The output layer's {out} is inside the loss (nnviz fuses the two as well,"
            f"\n    # for stability): the model returns logits and {fn} the probabilities."
        )
    sizes = "-".join(str(n) for n in [plan.n_inputs] + [d.units for d in plan.layers])
    acts = ", ".join(d.activation for d in plan.layers)
    return (
        f"# Step 1: the model as a class: {sizes} ({acts}), {plan.n_params:,} parameters.\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n" + "\n".join(init) + note + "\n\n"
        "    def forward(self, x):\n" + "\n".join(forward) + "\n        return x"
    )


def _set_weights(plan: Plan) -> str:
    layers = ", ".join(f"model.fc{k}" for k in range(1, len(plan.layers) + 1))
    frozen = "".join(
        f"model.fc{k}.requires_grad_(False)  # trainable = false: the optimizer skips it\n"
        for k, d in enumerate(plan.layers, start=1) if not d.trainable
    )  # fmt: skip
    return f"""\
model = Net()
# nnviz writes W as (inputs, units); nn.Linear keeps its weight as (units, inputs): hence .T
with torch.no_grad():
    for k, layer in enumerate([{layers}], start=1):
        layer.weight.copy_(torch.from_numpy(START[f"W{{k}}"]).T)
        layer.bias.copy_(torch.from_numpy(START[f"b{{k}}"]))
{frozen}print(model)"""


def _optimizer(plan: Plan) -> str:
    h = {name: source.hyper(v) for name, v in plan.hyper.items()}
    kind = plan.optimizer
    args = ["model.parameters()", f"lr={h['lr']}"]
    if kind in ("momentum", "nesterov"):
        args += [f"momentum={h['momentum']}", f"nesterov={kind == 'nesterov'}"]
    elif kind == "rmsprop":
        args += [f"alpha={h['alpha']}", f"eps={h['eps']}"]
    elif kind == "adam":
        args += [f"betas=({h['beta1']}, {h['beta2']})", f"eps={h['eps']}"]
    elif kind == "adagrad":
        args += [f"eps={h['eps']}"]
    args.append(f"weight_decay={h.get('weight_decay', '0.0')}")
    head = {"rmsprop": "optim.RMSprop", "adam": "optim.Adam", "adagrad": "optim.Adagrad"}
    lines = [
        f"# Step 2: the optimizer ({kind}, as nnviz's: every hyperparameter written out).",
        "optimizer = " + source.call(head.get(kind, "optim.SGD"), args, len("optimizer = ")),
    ]
    if plan.schedule == "step":
        lines += [
            f"# The learning rate per epoch: {source.schedule_text(plan)}.",
            f"scheduler = optim.lr_scheduler.StepLR(optimizer, step_size={plan.schedule_step}, "
            f"gamma={source.hyper(plan.gamma)})",
        ]
    elif plan.schedule == "exponential":
        lines += [
            f"# The learning rate per epoch: {source.schedule_text(plan)}.",
            "scheduler = optim.lr_scheduler.ExponentialLR("
            f"optimizer, gamma={source.hyper(plan.gamma)})",
        ]
    return "\n".join(lines)


def _loss(plan: Plan) -> str:
    lines = ["# Step 3: the loss (a mean over the batch, as nnviz's)."]
    if plan.loss == "bce":
        eps = "1e-7" if plan.dtype == "float32" else "1e-12"
        lines += [
            f"BCE_EPS = {eps}  # nnviz's clamp in {plan.dtype}",
            "",
            "",
            "def bce_loss(p, y):",
            '    """Binary cross-entropy as nnviz computes it: the mean of',
            "    −(y ln p + (1 − y) ln(1 − p)) in float64, with p clamped to [ε, 1 − ε] so that ln",
            "    never sees 0 and the gradient passing through the clamp unchanged. (nn.BCELoss",
            '    caps ln at −100 instead: the same numbers while p stays inside.)"""',
            "    p = p.double()",
            "    p_safe = p + (p.clamp(BCE_EPS, 1 - BCE_EPS) - p).detach()",
            "    loss = -(y * torch.log(p_safe) + (1 - y) * torch.log(1 - p_safe)).mean()",
            "    return loss.to(y.dtype)",
            "",
            "",
            "criterion = bce_loss",
        ]
    else:
        crit = {
            "mse": "nn.MSELoss()",
            "mae": "nn.L1Loss()",
            "bce_logits": "nn.BCEWithLogitsLoss()",
            "cross_entropy": "nn.CrossEntropyLoss()  # with one-hot rows as class probabilities",
        }[plan.loss]
        lines.append(f"criterion = {crit}")
    if plan.l2 or plan.l1:
        count = range(1, len(plan.layers) + 1)
        terms = []
        if plan.l2:
            squares = " + ".join(f"(model.fc{k}.weight ** 2).sum()" for k in count)
            lines += ["", f"L2 = {source.hyper(plan.l2)}"]
            terms.append(f"L2 * ({squares})")
        if plan.l1:
            # abs's gradient at 0 is 0 in PyTorch, the subgradient nnviz takes there too
            absolutes = " + ".join(f"model.fc{k}.weight.abs().sum()" for k in count)
            lines += ["", f"L1 = {source.hyper(plan.l1)}"]
            terms.append(f"L1 * ({absolutes})")
        what = " + ".join(t for t, on in (("L2 · ΣW²", plan.l2), ("L1 · Σ|W|", plan.l1)) if on)
        lines += [
            "",
            "",
            "def penalty(model):",
            f'    """nnviz\'s (and the course\'s) weight penalty: {what}, biases excluded."""',
            f"    return {' + '.join(terms)}",
            "",
            "",
            "def loss_of(outputs, labels):",
            "    return criterion(outputs, labels) + penalty(model)",
        ]
    else:
        lines += ["", "", "def loss_of(outputs, labels):", "    return criterion(outputs, labels)"]
    lines += ["", "", _correct(plan)]
    return "\n".join(lines)


def _correct(plan: Plan) -> str:
    if plan.task == "regression":
        return "def count_correct(outputs, labels):\n    return 0  # regression: no accuracy"
    if plan.task == "multiclass":
        test = "(outputs.argmax(dim=1) == labels.argmax(dim=1))"
    else:
        prob = "torch.sigmoid(outputs)" if plan.loss == "bce_logits" else "outputs"
        test = f"(({prob} > 0.5) == (labels > 0.5))"
    return f"def count_correct(outputs, labels):\n    return int({test}.sum())"


def _loader(plan: Plan) -> str:
    lines = [
        source.comment(
            f"Step 4: fit the model: {source.epochs_text(plan)} of mini-batches of "
            f"{plan.batch_size}."
        ),
        f"EPOCHS = {plan.epochs}",
        f"BATCH_SIZE = {plan.batch_size}",
        "dataset = TensorDataset(X_train, Y_train)",
    ]
    if not plan.shuffle:
        why = "one batch of every row" if plan.batch_size >= plan.n_train else "shuffle = false"
        lines += [f"# No shuffling ({why}): the rows in order, as nnviz takes them.",
                  "data_loader = DataLoader(dataset, batch_size=BATCH_SIZE)"]  # fmt: skip
        return "\n".join(lines)
    lines += [
        f"SEED = {plan.seed}",
        "",
        "",
        source.ORDER_SOURCE,
        "",
        "",
        "class NnvizOrder(Sampler):",
        '    """A fresh order of the rows every epoch, nnviz\'s: the same mini-batches as nnviz',
        "    trains on. (To shuffle as any other PyTorch script does, drop the sampler and pass",
        '    shuffle=True to the DataLoader.)"""',
        "",
        "    def __init__(self, n, seed):",
        "        self.n, self.seed, self.epoch = n, seed, 0",
        "",
        "    def __len__(self):",
        "        return self.n",
        "",
        "    def __iter__(self):",
        "        order = nnviz_order(self.n, self.seed, self.epoch)",
        "        self.epoch += 1",
        "        return iter(order)",
        "",
        "",
        "sampler = NnvizOrder(len(dataset), SEED)",
        "data_loader = DataLoader(dataset, batch_size=BATCH_SIZE, sampler=sampler)",
    ]
    return "\n".join(lines)


def _fit(plan: Plan) -> str:
    accuracy = plan.task != "regression"
    report = "Loss: {history[-1]:.6f}"
    if accuracy:
        report += ", Accuracy: {correct / len(dataset):.4f}"
        report = report.replace("correct / len(dataset)", "accuracy")
    sched = "    scheduler.step()\n" if plan.schedule != "constant" else ""
    line = f'print(f"Epoch [{{epoch + 1}}/{{EPOCHS}}], {report}")'
    every = source.print_every(plan)
    if every == 1:
        show = f"    {line}"
    else:
        show = f"    if (epoch + 1) % {every} == 0 or epoch + 1 == EPOCHS:\n        {line}"
    return f"""\
# Each epoch's loss is the mean of its mini-batches' losses (before each update), as nnviz's.
history = []
for epoch in range(EPOCHS):
    total, correct = 0.0, 0
    for inputs, labels in data_loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_of(outputs, labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        correct += count_correct(outputs, labels)
{sched}    history.append(total / len(dataset))
{"    accuracy = correct / len(dataset)" + chr(10) if accuracy else ""}{show}"""


def _evaluate(plan: Plan) -> str:
    acc = "None" if plan.task == "regression" else "count_correct(outputs, Y) / len(X)"

    def show(split: str) -> str:
        text = f"loss {{{split}_loss:.6f}}"
        return text if plan.task == "regression" else text + f", accuracy {{{split}_accuracy:.4f}}"

    return f'''\
# Step 5: test the model.
def evaluate(X, Y):
    """(mean loss, accuracy) over all rows, as nnviz's final result reports them."""
    with torch.no_grad():
        outputs = model(X)
        loss = loss_of(outputs, Y).item()
    return loss, {acc}


train_loss, train_accuracy = evaluate(X_train, Y_train)
print(f"Training set: {show("train")}")
if x_test is not None:
    test_loss, test_accuracy = evaluate(X_test, Y_test)
    print(f"Test set: {show("test")}")'''
