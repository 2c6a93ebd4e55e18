"""Small marks for the inspector and the hidden-unit maps: a dropout node's mask in the step
on show, and the units that are saturated or dead (nnviz.health's rule) at the parameters
drawn."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from nnviz import health
from nnviz.tui import fmt
from nnviz.tui.widgets.panels import pick_rows, value_ready

SATURATED, DEAD = "≈", "✕"  # ASCII: ~ and x
ASCII_MARKS = {SATURATED: "~", DEAD: "x"}
MASK_ROWS = 8  # of the whole batch's mask


def dropout_text(ctl, snap, i: int, sample: int, whole: bool, width: int = 80) -> Text | None:
    """At a dropout node d = u ⊙ m / (1 − rate): the mask m of the step on show (1 kept,
    0 dropped) once the forward pass has drawn it; None at any other node."""
    node = ctl.graph.nodes[i]
    if node.op_name != "dropout":
        return None
    out = Text()
    mask_node = node.inputs[1]
    rate = node.const
    mask_name = fmt.sub(ctl.node_name(mask_node))
    if not value_ready(ctl, snap, i):
        out.append(f"mask {mask_name}   drawn when the forward pass reaches this node\n",
                   style="dim")  # fmt: skip
        return out
    mask = pick_rows(ctl, i, ctl.view(snap.values, mask_node, snap.batch), sample, whole)
    rows = np.atleast_2d(mask)
    kept = int(np.count_nonzero(mask))
    fits = max((width - 11) // 2, 4)
    for n, row in enumerate(rows[:MASK_ROWS]):
        bits = " ".join("1" if v else "0" for v in row[:fits]) + (" …" if row.size > fits else "")
        out.append(f"{'mask ' + mask_name if n == 0 else '':<10} ", style="bold")
        out.append(bits + "\n", style="cyan")
    if len(rows) > MASK_ROWS:
        out.append(f"{'':<10} … {len(rows) - MASK_ROWS} more rows\n", style="dim")
    step = snap.step + 1 if snap.phase in ("forward", "backward") else snap.step
    r = fmt.num(rate, 3)
    out.append(f"{'':<10} step {step}: {kept} of {mask.size} kept (rate {r}), each × "
               f"1/(1 − {r}) = {fmt.num(1.0 / (1.0 - rate), 4)}; no dropout in evaluation\n",
               style="dim")  # fmt: skip
    return out


def unit_flags(ctl, params: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    """Saturated or dead hidden units at these parameters, on the training rows."""
    t = ctl.trainer
    if t is None:
        return {}
    return health.hidden_unit_flags(ctl.load_probe(params), t.X)


def unit_label(name: str, unit: int, flags: dict, ascii_mode: bool = False) -> str:
    """A hidden-unit map's label, with ≈ when the unit is saturated, ✕ when it is dead."""
    label = f"{fmt.sub(name)}[{unit}]"
    found = flags.get(name)
    if found is None:
        return label
    activation, flagged = found
    if unit >= len(flagged) or not flagged[unit]:
        return label
    mark = DEAD if activation == "relu" else SATURATED
    return label + (ASCII_MARKS[mark] if ascii_mode else mark)


def marks_note(flags: dict, ascii_mode: bool = False) -> str:
    """The marks' meaning, when some unit carries one."""
    kinds = set()
    for activation, flagged in flags.values():
        if np.any(flagged):
            kinds.add(DEAD if activation == "relu" else SATURATED)
    words = {SATURATED: "saturated", DEAD: "dead"}
    return ", ".join(
        f"{ASCII_MARKS[k] if ascii_mode else k} {words[k]}" for k in (SATURATED, DEAD) if k in kinds
    )
