"""The playground, headless: a scenario's setup as an editable document, each edit checked by
the scenario loader itself and turned into a rebuilt Session and Controller.

    pg = Playground.of(ctl)                       # the setup of the explorer's Controller
    rows = pg.fields()                            # what a settings panel lists
    ctl = pg.change("model.layers[0].units", 6)   # checked, rebuilt (ScenarioError: no change)
    ctl = pg.act("add_layer")                     # architecture edits
    set_element(ctl, "W1", (0, 1), "2.5")         # one weight, live

The document has the shape of a scenario file's TOML (nnviz.scenario.document), so an edit is
checked by exactly the checks `nnviz run file.toml` runs, and a bad value gets the loader's
one-line message while the setup stays as it was. What survives a rebuild:

- a change of shape (layers, units, inputs, the data kind) or of the init seed draws the
  starting weights from the init seed (explicit weights of the setup are dropped);
- every other edit (activations, loss, data values, optimizer, training) keeps the weights on
  show; the optimizer state (momentum, Adam's moments) starts from zero, and so do the epoch
  count and the loss history: it is a new run from these weights.

No textual or rich here: the explorer's settings panel and element cursor draw from this.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.engine.spec import ACTIVATIONS, OPTIMIZER_DEFAULTS, OPTIMIZERS, SCHEDULES
from nnviz.errors import InputError
from nnviz.scenario import ScenarioError
from nnviz.scenario.build import build

# The output layer's activation and loss, the valid pairs (the loader refuses the rest).
OUTPUT_PAIRS = (
    ("sigmoid", "bce"),
    ("identity", "bce_logits"),
    ("softmax", "cross_entropy"),
    ("identity", "mse"),
    ("identity", "mae"),
)
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")  # sigmoid … step
DATA_SETS = ("gate", "circles", "moons", "spiral", "gaussians", "sine")
NEW_LAYER = {"units": 4, "activation": "sigmoid"}
MAX_PLAY_UNITS = 64  # units a layer gets from the settings panel (a file may have more)
# Engineered input features (model12's `features` under [data]), when the loader knows them.
FEATURES = ("x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
LABELS = {
    "lr": "learning rate",
    "momentum": "momentum β",
    "alpha": "RMSprop α",
    "beta1": "Adam β₁",
    "beta2": "Adam β₂",
    "eps": "ε",
    "weight_decay": "weight decay",
    "noise": "noise",
    "n": "points",
    "seed": "data seed",
    "turns": "turns",
    "distance": "distance",
    "std": "std",
}


@dataclass(frozen=True)
class Field:
    """One row of the settings panel.

    kind: "choice" (cycled among `choices`), "integer", "number", "text" (typed), "toggle"
    (flipped) or "action" (done). `key` is what change() / act() take.
    """

    section: str
    label: str
    key: str
    kind: str
    value: Any = None
    choices: tuple = ()

    @property
    def shown(self) -> str:
        if self.kind == "action":
            return ""
        if self.kind == "toggle":
            return "on" if self.value else "off"
        if isinstance(self.value, float):
            return f"{self.value:.6g}"
        if isinstance(self.value, tuple | list):
            return ", ".join(str(v) for v in self.value)
        return str(self.value)


# ====================================================================== the setup
class Playground:
    """The editable setup of a Controller's scenario; every edit returns a new Controller."""

    def __init__(self, ctl, doc: dict | None = None):
        self.ctl = ctl
        self.kept_weights = True  # the last rebuild kept the weights on show
        self.doc = copy.deepcopy(doc if doc is not None else document(ctl.scenario))

    @classmethod
    def of(cls, ctl) -> Playground:
        """The playground of a Controller (kept on it, so that the setup is edited on)."""
        pg = getattr(ctl, "playground", None)
        if isinstance(pg, Playground) and pg.ctl is ctl:
            return pg
        pg = cls(ctl)
        ctl.playground = pg
        return pg

    @property
    def scenario(self):
        return self.ctl.scenario

    @property
    def file(self) -> str:
        return self.scenario.path.name

    # ------------------------------------------------------------ what can change
    def supports(self, what: str) -> bool:
        """Whether the scenario format has a key: "l1", "trainable" (freezing), "features"."""
        import dataclasses

        from nnviz.scenario import DataSpec
        from nnviz.scenario import fields as keys

        if what == "l1":
            return "l1" in keys.MODEL_FIELDS
        if what == "trainable":
            return "trainable" in keys.LAYER_FIELDS
        if what == "features":
            return "features" in {f.name for f in dataclasses.fields(DataSpec)}
        return False

    def fields(self) -> list[Field]:
        """The settings panel's rows, from the setup's document."""
        doc = self.doc
        model, data = doc["model"], doc["data"]
        out: list[Field] = []
        layers = model["layers"]
        hidden = _dense_positions(layers)[:-1]
        sec = "Architecture"
        for n, i in enumerate(hidden):
            layer = layers[i]
            at = f"model.layers[{i}]"
            out.append(Field(sec, f"hidden {n + 1}: units", f"{at}.units", "integer",
                             layer["units"]))  # fmt: skip
            out.append(Field(sec, f"hidden {n + 1}: activation", f"{at}.activation", "choice",
                             layer["activation"], HIDDEN_ACTIVATIONS))  # fmt: skip
        out.append(Field(sec, "add a hidden layer", "add_layer", "action"))
        if hidden:
            out.append(Field(sec, "remove the last hidden layer", "remove_layer", "action"))
        last = layers[-1]
        pair = f"{last['activation']} + {model['loss']}"
        out.append(Field(sec, "output + loss", "output", "choice", pair,
                         tuple(f"{a} + {b}" for a, b in OUTPUT_PAIRS)))  # fmt: skip

        sec = "Data"
        kind = data["kind"]
        sets = DATA_SETS + (("csv",) if kind == "csv" else ())
        out.append(Field(sec, "data set", "data.kind", "choice", kind, sets))
        out.extend(self._data_fields(sec, data))
        out.append(Field(sec, "your CSV file", "data.path", "text", data.get("path", "")))
        raw_inputs = self.ctl.dataset.n_inputs if self.ctl.dataset is not None else 0
        if self.supports("features") and raw_inputs == 2:
            chosen = set(data.get("features", ()))
            for name in FEATURES:
                out.append(Field(sec, f"feature {name}", f"feature:{name}", "toggle",
                                 name in chosen))  # fmt: skip

        sec = "Training"
        opt = doc.get("optimizer", {})
        kind = opt.get("kind", "sgd")
        out.append(Field(sec, "optimizer", "optimizer.kind", "choice", kind, OPTIMIZERS))
        for name, default in OPTIMIZER_DEFAULTS[kind].items():
            value = float(opt.get(name, default))
            out.append(Field(sec, LABELS.get(name, name), f"optimizer.{name}", "number", value))
        tr = doc.get("training", {})
        out.append(Field(sec, "batch size (0: all)", "training.batch_size", "integer",
                         tr.get("batch_size", 0)))  # fmt: skip
        out.append(Field(sec, "epochs", "training.epochs", "integer", tr.get("epochs", 100)))
        out.append(Field(sec, "L2", "model.l2", "number", float(model.get("l2", 0.0))))
        if self.supports("l1"):
            out.append(Field(sec, "L1", "model.l1", "number", float(model.get("l1", 0.0))))
        schedule = tr.get("schedule", "constant")
        out.append(Field(sec, "schedule", "training.schedule", "choice", schedule, SCHEDULES))
        if schedule != "constant":
            out.append(Field(sec, "γ (lr factor)", "training.gamma", "number",
                             float(tr.get("gamma", 0.5))))  # fmt: skip
        if schedule == "step":
            out.append(Field(sec, "every (epochs)", "training.schedule_step", "integer",
                             tr.get("schedule_step", 100)))  # fmt: skip
        out.append(Field(sec, "init seed", "training.seed", "integer", tr.get("seed", 0)))
        if self.supports("trainable"):
            for n, i in enumerate(_dense_positions(layers)):
                frozen = layers[i].get("trainable", True) is False
                name = f"hidden {n + 1}" if i != len(layers) - 1 else "output"
                out.append(Field(sec, f"freeze {name}", f"model.layers[{i}].trainable", "toggle",
                                 frozen))  # fmt: skip
        return out

    def _data_fields(self, sec: str, data: dict) -> list[Field]:
        from nnviz import data as data_pkg
        from nnviz.data.synthetic import GATES

        kind = data["kind"]
        out = []
        if kind == "gate":
            gate = data.get("gate", "xor")
            out.append(Field(sec, "gate", "data.gate", "choice", gate, tuple(GATES)))
            return out
        params = data_pkg.DATA_KINDS.get(kind, {})
        for name, default in params.items():
            if name in ("n_test", "test_fraction", "path", "features") or isinstance(default, type):
                continue
            if isinstance(default, bool | str | list):
                continue
            value = data.get(name, default)
            kind_of = "integer" if isinstance(default, int) else "number"
            out.append(Field(sec, LABELS.get(name, name), f"data.{name}", kind_of, value))
        if "n_test" in params or "test_fraction" in params:
            out.append(Field(sec, "test share", "test_share", "number", test_share(data)))
        return out

    # ------------------------------------------------------------ edits
    def change(self, key: str, value: Any):
        """Set one value (a key path of the document, or a field's own key) and rebuild."""
        doc = copy.deepcopy(self.doc)
        redraw = False
        if key == "output":
            act, loss = _pair(value)
            doc["model"]["layers"][-1]["activation"] = act
            doc["model"]["loss"] = loss
            if act == "softmax" and doc["model"]["layers"][-1]["units"] < 2:
                doc["model"]["layers"][-1]["units"] = 2
            redraw = True
        elif key == "test_share":
            _set_test_share(self.file, doc["data"], value)
        elif key == "data.kind":
            _switch_data(doc, value)
            redraw = True
        elif key == "data.path":  # typed relative to the current folder
            shown = str(value).strip()
            path = str(Path(shown).expanduser().resolve()) if shown else shown
            _switch_data(doc, "csv", path=path)
            redraw = True
        elif key.startswith("feature:"):
            name = key.split(":", 1)[1]
            chosen = [f for f in doc["data"].get("features", ["x1", "x2"]) if f != name]
            doc["data"]["features"] = chosen + ([name] if value else [])
            _drop_shaped(doc)
            redraw = True
        elif key.endswith(".trainable"):
            return self._freeze(doc, key, value)
        elif key == "optimizer.kind":
            lr = doc.get("optimizer", {}).get("lr")
            doc["optimizer"] = {"kind": value, **({"lr": lr} if lr is not None else {})}
        else:
            value = self._checked(key, value, doc["data"]["kind"])
            _assign(doc, key, value)
            redraw = key == "training.seed" or key.endswith(".units")
            if key.endswith(".units"):
                _drop_shaped(doc)
        return self._apply(doc, redraw=redraw)

    def _freeze(self, doc: dict, key: str, trainable: Any):
        """Freeze or unfreeze a layer in the running session (no rebuild: the epochs, the
        weights and the optimizer state go on), the setup checked and kept as with any edit."""
        trainable = self._checked(key, trainable, doc["data"]["kind"])
        _assign(doc, key, trainable if trainable is False else None)  # true is the default
        scenario = build(doc, self.scenario.path, self.file)
        position = int(key.split("[", 1)[1].split("]", 1)[0])
        layers = doc["model"]["layers"]
        number = 1 + sum(1 for entry in layers[:position] if "dropout" not in entry)
        self.ctl.session.set_trainable(number, trainable)
        self.ctl.session.scenario = scenario
        self.doc = doc
        self.kept_weights = True
        return self.ctl

    def _checked(self, key: str, value: Any, data_kind: str) -> Any:
        """One value checked alone by the loader's own field check (the whole file follows)."""
        from nnviz.scenario.fields import check_value

        try:
            return check_value(key, value, data_kind=data_kind)
        except ScenarioError as exc:
            raise ScenarioError(f"{self.file}: {' '.join(str(exc).split())}") from None

    def act(self, action: str):
        """An architecture edit without a value: add_layer, remove_layer."""
        doc = copy.deepcopy(self.doc)
        layers = doc["model"]["layers"]
        hidden = _dense_positions(layers)[:-1]
        if action == "add_layer":
            new = dict(layers[hidden[-1]]) if hidden else dict(NEW_LAYER)
            new = {k: v for k, v in new.items() if k in ("units", "activation")}
            layers.insert(len(layers) - 1, new)
        elif action == "remove_layer":
            if not hidden:
                raise ScenarioError(f"{self.file}: model.layers: there is no hidden layer")
            at = hidden[-1]
            del layers[at]
            if at < len(layers) - 1 and "dropout" in layers[at]:
                del layers[at]  # its dropout goes with it
        else:
            raise ValueError(f"unknown playground action {action!r}")
        _drop_shaped(doc)
        return self._apply(doc, redraw=True)

    def cycle(self, f: Field, step: int = 1):
        """A choice field's next (or previous) choice, a toggle flipped, an integer ± 1."""
        if f.kind == "choice":
            choices = list(f.choices)
            here = choices.index(f.value) if f.value in choices else -1
            return self.change(f.key, choices[(here + step) % len(choices)])
        if f.kind == "toggle":
            value = not f.value
            if f.key.endswith(".trainable"):
                return self.change(f.key, not value)  # the row says "freeze"
            return self.change(f.key, value)
        if f.kind == "integer":
            return self.change(f.key, int(f.value) + step)
        if f.kind == "action":
            return self.act(f.key)
        raise ScenarioError(f"{self.file}: {f.key}: type a value (Enter)")

    def typed(self, f: Field, text: str):
        """A typed value for a field: parsed as the field's kind, then checked by the loader."""
        return self.change(f.key, parse_value(self.file, f, text))

    def _apply(self, doc: dict, *, redraw: bool):
        """A new Controller for the document (ScenarioError or another InputError: no change)."""
        from nnviz.explorer import Controller
        from nnviz.session import build as build_session
        from nnviz.session import load_datasets

        old = self.scenario
        scenario = build(doc, old.path, old.path.name)
        weights = None
        if not redraw:
            weights = self.ctl.model.params()
        which = self.ctl.which
        datasets = load_datasets(scenario, self.ctl.data_dir)
        which = which if which < len(datasets) else 0
        try:
            session = build_session(
                scenario, data_dir=self.ctl.data_dir, which=which, threads=1, datasets=datasets
            )
        except ScenarioError:
            raise
        except InputError as exc:  # the network and the data disagree: say where
            raise ScenarioError(f"{self.file}: {' '.join(str(exc).split())}") from None
        fresh = session.model.params()
        kept = weights is not None and set(weights) == set(fresh) and all(
            weights[k].shape == fresh[k].shape for k in fresh
        )  # fmt: skip
        if kept:
            session.model.set_params(weights)
        ctl = Controller(session, data_dir=self.ctl.data_dir, which=which,
                         history_budget=self.ctl.history_budget)  # fmt: skip
        pg = Playground(ctl, doc)
        pg.kept_weights = kept
        ctl.playground = pg
        return ctl

    # ------------------------------------------------------------ keeping it
    def write(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the setup as a scenario file named after the file, with the parameters on
        show as its starting weights (nnviz.scenario.writer: atomic, inline or an .npz
        beside it). Reading it back gives these weights bit for bit; the optimizer state,
        the epochs and the loss history start from zero."""
        import dataclasses

        from nnviz.scenario.writer import write_scenario

        path = Path(path)
        scenario = dataclasses.replace(self.scenario, name=path.stem)
        return write_scenario(scenario, path, self.ctl.model.params(), overwrite=overwrite)


# ====================================================================== one weight
@dataclass(frozen=True)
class Element:
    """One element of a parameter with the engine's numbers for it."""

    name: str
    index: tuple[int, int]
    shape: tuple[int, int]
    value: float
    grad: float
    state: tuple[tuple[str, float], ...]  # the optimizer's state for it (m, v, velocity, …)


def element(ctl, name: str, index: tuple[int, int]) -> Element:
    p = ctl.program
    rows, cols = p.shape(name)
    r, c = _clamp(index, rows, cols)
    flat = p.param_slice(name).start + r * cols + c
    state = tuple((k, float(arr[flat])) for k, arr in ctl.optimizer.state.items())
    return Element(name, (r, c), (rows, cols), float(p.values[flat]), float(p.grads[flat]), state)


def parse_number(where: str, text: str) -> float:
    """A typed number; one line naming `where` when it is not one."""
    shown = text.strip()
    try:
        value = float(shown)
    except ValueError:
        raise ScenarioError(f"{where}: expected a number, got {shown!r}") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: must be a finite number, got {shown}")
    return value


def set_element(ctl, name: str, index: tuple[int, int], value: float | str) -> float:
    """Set one element of a parameter (a number, or typed text) and recompute what shows it:
    the pass in flight runs forward again. Returns the value as the parameter holds it."""
    p = ctl.program
    rows, cols = p.shape(name)
    r, c = _clamp(index, rows, cols)
    where = f"{name}[{r},{c}]"
    if isinstance(value, str):
        value = parse_number(where, value)
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: must be a finite number, got {value}")
    limit = float(np.finfo(p.dtype).max)
    if abs(value) > limit:
        raise ScenarioError(f"{where}: {value:.3g} is beyond the range of {p.dtype} (±{limit:.3g})")
    flat = p.param_slice(name).start + r * cols + c
    p.values[flat] = value
    ctl.parameters_edited()
    return float(p.values[flat])


def nudge_element(ctl, name: str, index: tuple[int, int], step: float) -> float:
    return set_element(ctl, name, index, element(ctl, name, index).value + step)


def training_loss(ctl, params: np.ndarray) -> tuple[float, float | None] | None:
    """(mean loss, accuracy) over the training rows at these parameters, on the probe."""
    ds = ctl.dataset
    if ds is None or ctl.model.prediction is None:
        return None
    probe = ctl.load_probe(params)
    loss, acc = probe.evaluate(ds.x_train, ds.y_train)
    return float(loss), (None if acc is None else float(acc))


# ====================================================================== helpers
def document(scenario) -> dict[str, Any]:
    """The TOML document of a scenario: what its file holds, as written back by
    nnviz.scenario.writer (so the loader reads it as the same record)."""
    import tomllib

    from nnviz.scenario.writer import scenario_text

    if scenario.model is None:
        raise ScenarioError(f"{scenario.name}: an expression graph has no network to edit")
    return tomllib.loads(scenario_text(scenario))


def test_share(data: dict) -> float:
    """The share of all points held out for testing."""
    from nnviz import data as data_pkg

    if data["kind"] == "csv":
        return float(data.get("test_fraction", 0.0))
    params = data_pkg.DATA_KINDS.get(data["kind"], {})
    n = data.get("n", params.get("n", 0))
    n_test = data.get("n_test", params.get("n_test", 0))
    return n_test / (n + n_test) if n + n_test else 0.0


def _set_test_share(file: str, data: dict, share: Any) -> None:
    if not isinstance(share, int | float) or isinstance(share, bool):
        raise ScenarioError(f"{file}: test share: expected a number, got {share!r}")
    if not 0.0 <= share < 1.0:
        raise ScenarioError(f"{file}: test share: must be at least 0 and less than 1, got {share}")
    if data["kind"] == "csv":
        data["test_fraction"] = float(share)
        return
    from nnviz import data as data_pkg

    n = data.get("n", data_pkg.DATA_KINDS[data["kind"]].get("n", 0))
    data["n_test"] = int(round(n * share / (1.0 - share)))


def _switch_data(doc: dict, kind: str, path: str | None = None) -> None:
    """Another data set: the common params carried over, the shapes and view redrawn."""
    from nnviz import data as data_pkg

    old = doc["data"]
    params = data_pkg.DATA_KINDS.get(kind, {})
    new: dict[str, Any] = {"kind": kind}
    for name in ("n", "seed", "noise", "n_test", "features"):
        if name in old and name in params:
            new[name] = old[name]
    if kind == "gate":
        gate = old.get("gate", "xor")
        new["gate"] = gate if isinstance(gate, str) else "xor"
    if kind == "csv":
        new["path"] = path if path is not None else old.get("path", "")
        if "test_fraction" in old:
            new["test_fraction"] = old["test_fraction"]
    doc["data"] = new
    model = doc["model"]
    model.pop("inputs", None)
    _drop_shaped(doc)
    view = doc.get("view", {})
    view.pop("x_range", None)
    view.pop("y_range", None)
    view["truth_table"] = kind == "gate"
    doc["view"] = view
    last = model["layers"][-1]
    regression = kind == "sine"
    if regression and model["loss"] not in ("mse", "mae"):
        last["activation"], model["loss"] = "identity", "mse"
    elif not regression and kind != "csv" and model["loss"] in ("mse", "mae", "cross_entropy"):
        last["activation"], model["loss"], last["units"] = "sigmoid", "bce", 1


def _drop_shaped(doc: dict) -> None:
    """Explicit starting weights no longer fit: the init seed draws them."""
    doc["model"].pop("weights", None)


def _dense_positions(layers: list) -> list[int]:
    """Positions of the layers with units (dropout entries, conv and pooling layers left out)."""
    return [i for i, layer in enumerate(layers) if isinstance(layer, dict) and "units" in layer]


def _pair(value: Any) -> tuple[str, str]:
    if isinstance(value, tuple):
        return value
    act, _, loss = str(value).partition(" + ")
    return act.strip(), loss.strip()


def _assign(doc: dict, key: str, value: Any) -> None:
    """doc[key] = value for a key path such as ``model.layers[0].units``."""
    import re

    parts: list[str | int] = []
    for piece in key.split("."):
        m = re.fullmatch(r"([A-Za-z0-9_]+)((?:\[\d+\])*)", piece)
        if not m:
            raise ValueError(f"not a key path: {key!r}")
        parts.append(m.group(1))
        parts += [int(n) for n in re.findall(r"\[(\d+)\]", m.group(2))]
    here: Any = doc
    for part in parts[:-1]:
        if isinstance(part, str) and part not in here:
            here[part] = {}
        here = here[part]
    if value is None:
        here.pop(parts[-1], None)
    else:
        here[parts[-1]] = value


def parse_value(file: str, f: Field, text: str) -> Any:
    """Typed text as a field's kind: an integer, a number or text (the loader checks ranges)."""
    shown = text.strip()
    where = f"{file}: {f.key if f.key != 'test_share' else 'test share'}"
    if f.kind == "integer":
        try:
            return int(shown)
        except ValueError:
            raise ScenarioError(f"{where}: expected an integer, got {shown!r}") from None
    if f.kind == "number":
        value = parse_number(where, shown)
        return value
    if f.kind == "choice":
        if shown not in f.choices:
            raise ScenarioError(f"{where}: {shown!r} is not one of {', '.join(f.choices)}")
        return shown
    return shown


def _clamp(index: tuple[int, int], rows: int, cols: int) -> tuple[int, int]:
    r, c = index
    return min(max(int(r), 0), rows - 1), min(max(int(c), 0), cols - 1)


def save_path(name: str, folder: str | Path = ".") -> Path:
    """Where `W` writes a setup named `name`: <name>.toml in the folder (a path as given)."""
    text = name.strip()
    if not text:
        raise ScenarioError("the scenario needs a name")
    path = Path(text).expanduser()
    if path.suffix != ".toml":
        path = path.with_name(path.name + ".toml")
    return path if path.is_absolute() or len(path.parts) > 1 else Path(folder) / path
