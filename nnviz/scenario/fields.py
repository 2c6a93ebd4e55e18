"""The keys of a scenario file as data: one Field (nnviz.fields) per key, and ``check_value``,
which checks one key's value alone the way the loader checks it in a file.

    check_value("optimizer.lr", 0.5)                    -> 0.5
    check_value("training.epochs", 0)                   -> ScenarioError
        "training.epochs: must be at least 1, got 0"
    check_value("model.layers[0].activation", "linear") -> "identity"
    check_value("data.noise", 0.2, data_kind="moons")   -> 0.2

The loader (nnviz.scenario.build) reads its tables through these same fields, so a value typed
in the explorer's settings gets the very message the same value gets in a file.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from nnviz.engine.spec import (
    ACTIVATIONS,
    DTYPES,
    INITIALIZERS,
    LOSSES,
    OPTIMIZER_DEFAULTS,
    OPTIMIZERS,
    SCHEDULES,
)
from nnviz.fields import REQUIRED, Field
from nnviz.limits import MAX_EPOCHS, MAX_ROWS, MAX_SEED, MAX_UNITS
from nnviz.scenario.checks import Checker, did_you_mean

# U[-scale, scale] starting weights: beyond this no dtype trains (the first products overflow
# float32), and rng.uniform itself fails near 1e308
MAX_INIT_SCALE = 1e6
# Other spellings of an activation: the course and Keras call the identity "linear". A file may
# use either; the scenario (and so every screen and summary) holds the canonical name.
ACTIVATION_ALIASES = {"linear": "identity"}

TRAINING_FIELDS: dict[str, Field] = {
    "epochs": Field(int, 100, lo=1, hi=MAX_EPOCHS, limit=True),
    "batch_size": Field(int, 0, lo=0, hi=MAX_ROWS, limit=True),  # 0: full batch
    "seed": Field(int, 0, lo=0, hi=MAX_SEED, limit=True),
    "dtype": Field(str, "float32", choices=DTYPES),
    "schedule": Field(str, "constant", choices=SCHEDULES),
    "schedule_step": Field(int, 100, lo=1, hi=MAX_EPOCHS, limit=True),
    "gamma": Field(float, 0.5, lo=0.0, lo_open=True, hi=1.0),
    "shuffle": Field(bool, True),
    "validation": Field(float, 0.0, lo=0.0, hi=1.0, hi_open=True),
}

# [model]'s single values (layers, input_shape and weights are checked by the builder).
MODEL_FIELDS: dict[str, Field] = {
    "inputs": Field(int, None, lo=1, hi=MAX_UNITS, limit=True),
    "loss": Field(str, REQUIRED, choices=LOSSES),
    "init": Field(str, "glorot", choices=INITIALIZERS),
    "init_scale": Field(float, 0.7, lo=0.0, lo_open=True, hi=MAX_INIT_SCALE),
    "l2": Field(float, 0.0, lo=0.0),
    "l1": Field(float, 0.0, lo=0.0),
}

# A dense layer's keys; { dropout = rate } is an entry of its own after the layer it drops.
LAYER_FIELDS: dict[str, Field] = {
    "units": Field(int, REQUIRED, lo=1, hi=MAX_UNITS, limit=True),
    "activation": Field(str, REQUIRED, choices=(*ACTIVATIONS, *ACTIVATION_ALIASES)),
    # false: the layer is frozen (its gradients are computed, the optimizer leaves it alone)
    "trainable": Field(bool, True),
}
DROPOUT_FIELD = Field(float, REQUIRED, lo=0.0, hi=1.0, hi_open=True)

# Every optimizer hyperparameter's bounds; its default depends on the kind (OPTIMIZER_DEFAULTS).
OPTIMIZER_FIELDS: dict[str, Field] = {
    "lr": Field(float, lo=0.0),
    "weight_decay": Field(float, lo=0.0),
    "momentum": Field(float, lo=0.0, hi=1.0, hi_open=True),
    "alpha": Field(float, lo=0.0, hi=1.0, hi_open=True),
    "beta1": Field(float, lo=0.0, hi=1.0, hi_open=True),
    "beta2": Field(float, lo=0.0, hi=1.0, hi_open=True),
    "eps": Field(float, lo=0.0, lo_open=True),
}
OPTIMIZER_KIND = Field(str, "sgd", choices=OPTIMIZERS)


def optimizer_fields(kind: str) -> dict[str, Field]:
    """The hyperparameters of one optimizer kind, each with that kind's default."""
    return {
        name: dataclasses.replace(OPTIMIZER_FIELDS[name], default=float(default))
        for name, default in OPTIMIZER_DEFAULTS[kind].items()
    }


def data_fields(kind: str) -> dict[str, Field]:
    """A data kind's params (nnviz.data's own fields)."""
    from nnviz.data.kinds import SPECS

    return dict(SPECS[kind])


def check_features(chk: Checker, raw: Any, kind: str, columns: int | None) -> tuple[str, ...]:
    """The canonical spellings of data.features (nnviz.data.features), for data of a few
    columns; an unknown, repeated or out-of-range feature fails at its own index."""
    from nnviz.data.errors import DataError
    from nnviz.data.features import MAX_INPUTS, FeatureError
    from nnviz.data.features import parse_features as parse

    if columns is not None and columns > MAX_INPUTS:
        chk.fail("data.features", f"features are for data of at most {MAX_INPUTS} columns; "
                                  f"{kind} has {columns}")  # fmt: skip
    try:
        return parse(chk.array("data.features", raw), columns).names
    except FeatureError as exc:
        chk.fail(f"data.features[{exc.index}]", exc.detail)
    except DataError as exc:
        chk.fail("data.features", exc.detail)


_LAYER_KEY = re.compile(r"model\.layers\[(\d+)\]\.(\w+)")


def field_for(key: str, data_kind: str | None = None) -> Field:
    """The Field of a key path; ScenarioError "key: unknown key" for a key no file may hold."""
    chk = Checker("")
    section, _, name = key.partition(".")
    layer = _LAYER_KEY.fullmatch(key)
    if layer is not None:
        name = layer.group(2)
        if name == "dropout":
            return DROPOUT_FIELD
        table: dict[str, Field] = LAYER_FIELDS
    elif section == "training":
        table = TRAINING_FIELDS
    elif section == "model":
        table = MODEL_FIELDS
    elif section == "optimizer":
        if name == "kind":
            return OPTIMIZER_KIND
        table = OPTIMIZER_FIELDS
    elif section == "data":
        from nnviz.data.kinds import SPECS

        if name == "kind":
            return Field(str, REQUIRED, choices=tuple(SPECS))
        if name == "features":
            return Field(list, ())
        if data_kind not in SPECS:
            chk.fail(key, f"a data param needs its data kind, one of {', '.join(SPECS)}")
        table = data_fields(data_kind)
    else:
        chk.fail(key, "unknown key" + did_you_mean(section, _SECTIONS), allowed=_SECTIONS)
    if name not in table:
        hint = did_you_mean(name, table)
        chk.fail(key, "unknown key" + hint, allowed=None if hint else tuple(table))
    return table[name]


_SECTIONS = ("data", "model", "optimizer", "training")


def check_value(key: str, value: Any, *, data_kind: str | None = None) -> Any:
    """One key's value checked alone, as the loader checks it in a file: the value normalised
    (an int for a number becomes a float, "linear" becomes "identity"), or a ScenarioError
    whose message is "<key>: <what is wrong>" and whose ``key``/``detail`` say the same apart.

    ``key`` is a key path: "training.epochs", "optimizer.lr", "model.l2",
    "model.layers[0].activation", "data.noise" (data params need ``data_kind``),
    "data.features" (a list of spellings, returned as the canonical ones: "x1**2" is "x1^2")."""
    spec = field_for(key, data_kind)
    out = Checker("").field(key, value, spec)
    if key.endswith(".activation"):
        out = ACTIVATION_ALIASES.get(out, out)
    if key == "data.features":  # the canonical spellings, each checked
        from nnviz.data import INPUT_SIZES

        out = check_features(Checker(""), out, data_kind, INPUT_SIZES.get(data_kind))
    return out
