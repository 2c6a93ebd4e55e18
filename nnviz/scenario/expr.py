"""The [graph] table: a small expression graph, one named node per line.

    [graph]
    inputs = { x = 1.0, y = 2.0 }
    nodes = ["s = x + y", "p = 2*x - 3", "f = s * p"]
    output = "f"

The primitive operations are ``a + b``, ``a - b``, ``a * b`` and ``f(a)`` for f in sigmoid,
tanh, relu, identity, on names defined above or numbers. A number times a name is a
scaling (one node); a number in a sum or difference becomes a constant node named by its
value. A line may combine operations (``p = 2*x - 3``, with ``*`` before ``+`` and ``-``,
and parentheses): each inner operation becomes a node of its own named by its text (``2*x``)
and the outermost one takes the line's name. A lone name is an identity, a lone number a
constant.
"""

from __future__ import annotations

import re
from typing import Any

from nnviz.scenario.checks import Checker, did_you_mean, num
from nnviz.scenario.records import GraphNodeSpec, GraphSpec

FUNCTIONS = ("sigmoid", "tanh", "relu", "identity")
GRAPH_KEYS = ("inputs", "nodes", "output")
_BINARY = {"+": "add", "-": "sub", "*": "mul"}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*"}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# An expression is one line of a small graph: bounded so that parsing (recursive descent)
# and naming (each inner node is named by its text) stay small.
MAX_TOKENS = 200
MAX_DEPTH = 20  # parentheses and function calls, nested
MAX_NODES = 1000  # nodes of a whole graph
_TOKEN = re.compile(rf"\s*(?:(?P<num>{_NUMBER.pattern})|(?P<name>[A-Za-z_]\w*)|(?P<op>[-+*()]))")

# A parsed operand: a float (a number), a str (a defined name) or a pending operation
# (op, operands, value) that becomes a node when it is used.
Item = Any


class _Bad(Exception):
    """The expression cannot be read; the message says why."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _Bad(f"unexpected {text[pos:].lstrip()[:1]!r}")
        out.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
        if len(out) > MAX_TOKENS:
            raise _Bad(f"more than {MAX_TOKENS} numbers, names and operators (nnviz's limit for "
                       "one line; split it over several nodes)")  # fmt: skip
    if not out:
        raise _Bad("the expression is empty")
    depth = deepest = 0
    for kind, text in out:
        if (kind, text) == ("op", "("):
            depth += 1
            deepest = max(deepest, depth)
        elif (kind, text) == ("op", ")"):
            depth -= 1
    if deepest > MAX_DEPTH:
        raise _Bad(f"parentheses nested {deepest} deep, more than nnviz's limit of {MAX_DEPTH}")
    return out


class _Parser:
    """Recursive descent over: expr = term (+|- term)*; term = unary (* unary)*;
    unary = -unary | atom; atom = number | name | f(expr) | (expr)."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, token: tuple[str, str]) -> bool:
        if self.peek() == token:
            self.i += 1
            return True
        return False

    def parse(self) -> Item:
        item = self.expr()
        if self.peek() is not None:
            raise _Bad(f"unexpected {self.peek()[1]!r}")
        return item

    def expr(self) -> Item:
        item = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = _BINARY[self.tokens[self.i][1]]
            self.i += 1
            item = _combine(op, item, self.term())
        return item

    def term(self) -> Item:
        item = self.unary()
        while self.take(("op", "*")):
            item = _combine("mul", item, self.unary())
        return item

    def unary(self) -> Item:
        if self.take(("op", "-")):
            item = self.unary()
            return -item if isinstance(item, float) else ("scale", (item,), -1.0)
        return self.atom()

    def atom(self) -> Item:
        token = self.peek()
        if token is None:
            raise _Bad("it ends too early")
        self.i += 1
        kind, text = token
        if kind == "num":
            return float(text)
        if token == ("op", "("):
            item = self.expr()
            if not self.take(("op", ")")):
                raise _Bad("a '(' is not closed")
            return item
        if kind == "name":
            if not self.take(("op", "(")):
                return text
            if text not in FUNCTIONS:
                raise _Bad(f"{text!r} is not one of {', '.join(FUNCTIONS)}")
            item = self.expr()
            if not self.take(("op", ")")):
                raise _Bad("a '(' is not closed")
            return (text, (item,), 0.0)
        raise _Bad(f"unexpected {text!r}")


def _combine(op: str, left: Item, right: Item) -> Item:
    if isinstance(left, float) and isinstance(right, float):
        raise _Bad("an operation on two numbers: write the result instead")
    if op == "mul" and isinstance(left, float):
        return ("scale", (right,), left)
    if op == "mul" and isinstance(right, float):
        return ("scale", (left,), right)
    return (op, (left, right), 0.0)


def _number_name(value: float) -> str:
    return num(int(value)) if value.is_integer() and abs(value) < 1e15 else num(value)


def _wrap(name: str) -> str:
    """A node name as part of a longer node name: compound ones in parentheses."""
    return name if _NAME.fullmatch(name) or _NUMBER.fullmatch(name) else f"({name})"


def _text(op: str, args: tuple[str, ...], value: float) -> str:
    if op == "scale":
        return f"{_wrap(_number_name(value))}*{_wrap(args[0])}"
    if op in _SYMBOL:
        return f"{_wrap(args[0])}{_SYMBOL[op]}{_wrap(args[1])}"
    return f"{op}({args[0]})"


class _Builder:
    def __init__(self, chk: Checker):
        self.chk = chk
        self.nodes: list[GraphNodeSpec] = []
        self.defined: list[str] = []  # inputs and user-named nodes, for messages
        self.known: set[str] = set()  # every name a node may use
        self.later: dict[str, int] = {}  # node names of the lines below, for messages

    def add(self, node: GraphNodeSpec) -> str:
        self.nodes.append(node)
        self.known.add(node.name)
        return node.name

    def operand(self, key: str, item: Item) -> str:
        if isinstance(item, float):
            name = _number_name(item)
            return name if name in self.known else self.add(GraphNodeSpec(name, "const", (), item))
        if isinstance(item, str):
            if item not in self.defined and item in self.later:
                where = f"graph.nodes[{self.later[item]}]"
                self.chk.fail(key, f"{item!r} is used before its node ({where}) defines it")
            if item not in self.defined:
                hint = did_you_mean(item, self.defined)
                self.chk.fail(key, f"{item!r} is not defined before this node{hint}")
            return item
        op, args, value = item
        names = tuple(self.operand(key, a) for a in args)
        name = _text(op, names, value)
        return name if name in self.known else self.add(GraphNodeSpec(name, op, names, value))

    def root(self, key: str, target: str, item: Item) -> None:
        if isinstance(item, float):
            self.add(GraphNodeSpec(target, "const", (), item))
        elif isinstance(item, str):
            self.add(GraphNodeSpec(target, "identity", (self.operand(key, item),)))
        else:
            op, args, value = item
            names = tuple(self.operand(key, a) for a in args)
            self.add(GraphNodeSpec(target, op, names, value))
        self.defined.append(target)


def parse_graph(chk: Checker, value: Any) -> GraphSpec:
    tbl = chk.table("graph", value, GRAPH_KEYS)
    inputs_tbl = tbl.raw("inputs")
    if not isinstance(inputs_tbl, dict) or not inputs_tbl:
        chk.fail("graph.inputs", "expected a table of name = number, like { x = 1.0, y = 2.0 }")
    builder = _Builder(chk)
    inputs: list[tuple[str, float]] = []
    for name, raw in inputs_tbl.items():
        if not _NAME.fullmatch(name) or name in FUNCTIONS:
            chk.fail("graph.inputs", f"{name!r} is not a usable name (letters, digits and _)")
        inputs.append((name, chk.number(tbl.key("inputs") + "." + name, raw)))
        builder.defined.append(name)
        builder.known.add(name)

    lines = chk.array("graph.nodes", tbl.raw("nodes"))
    if not lines:
        chk.fail("graph.nodes", "a graph needs at least one node")
    for i, line in enumerate(lines):
        if isinstance(line, str):
            builder.later.setdefault(line.partition("=")[0].strip(), i)
    for i, line in enumerate(lines):
        key = f"graph.nodes[{i}]"
        text = chk.string(key, line)
        target, eq, expr = text.partition("=")
        target = target.strip()
        if not eq:
            chk.fail(key, f"expected 'name = expression', got {text!r}")
        if not _NAME.fullmatch(target) or target in FUNCTIONS:
            chk.fail(key, f"{target!r} is not a usable node name (letters, digits and _)")
        if target in builder.known:
            chk.fail(key, f"{target!r} is already defined")
        try:
            item = _Parser(_tokens(expr)).parse()
        except _Bad as exc:
            shown = expr.strip() if len(expr.strip()) <= 60 else expr.strip()[:57] + "..."
            chk.fail(key, f"cannot read {shown!r}: {exc}")
        builder.root(key, target, item)
        if len(builder.nodes) > MAX_NODES:
            chk.fail(key, f"the graph has more than {MAX_NODES} nodes (nnviz's limit)")

    output = tbl.string("output", builder.defined[-1])
    if output not in builder.defined:
        hint = did_you_mean(output, builder.defined)
        chk.fail("graph.output", f"{output!r} is not an input or a node{hint}")
    return GraphSpec(inputs=tuple(inputs), nodes=tuple(builder.nodes), output=output)
