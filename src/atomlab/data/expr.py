"""Safe arithmetic expressions such as ``"y - x**3"``, parsed with :mod:`ast`, never ``eval``.

A user can name a decision function on the command line (``--set function="y - sin(3*x)"``). The text
is parsed into Python's syntax tree and every node is checked against a short whitelist; the accepted
tree is compiled into nested closures over NumPy functions. Nothing the user writes is ever executed
as Python, so ``"__import__('os').system('...')"`` is refused at parse time with an error naming the
construct that is not allowed.

Allowed: numbers, the variable names (``x`` and ``y`` by default), the constants ``pi`` and ``e``,
the operators ``+ - * / **`` and unary ``-``/``+``, and calls of ``abs``, ``sin``, ``cos``, ``tan``,
``exp``, ``log``, ``sqrt``, ``tanh``, ``sign``, ``minimum`` and ``maximum`` with positional arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from atomlab.errors import ConfigError, unknown_choice

__all__ = ["Expression", "parse_expression", "FUNCTIONS", "CONSTANTS"]

#: The callable names an expression may use, with their arity.
FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "abs": (np.abs, 1),
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "exp": (np.exp, 1),
    "log": (np.log, 1),
    "sqrt": (np.sqrt, 1),
    "tanh": (np.tanh, 1),
    "sign": (np.sign, 1),
    "minimum": (np.minimum, 2),
    "maximum": (np.maximum, 2),
}

#: Named constants an expression may use.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: np.negative, ast.UAdd: np.positive}

# Human names for the constructs we refuse, so the error says what was wrong.
_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Starred: "starred argument",
    ast.NamedExpr: "assignment expression",
    ast.JoinedStr: "f-string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slice",
}
_OPERATOR_NAMES: dict[type, str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}
_MAX_LENGTH = 1000

Env = dict[str, np.ndarray]
Node = Callable[[Env], Any]


class Expression:
    """A parsed expression: call it with one array per variable.

    Build one with :func:`parse_expression`. Calling it evaluates the expression elementwise with
    NumPy (floating-point warnings silenced: ``log(-1)`` gives ``nan`` as NumPy would) and returns a
    float64 array of the broadcast shape of the arguments, even for a constant expression.

    Attributes
    ----------
    text : str
        The source text.
    variables : tuple of str
        The variable names, in the order positional arguments bind to them.
    """

    def __init__(self, text: str, variables: tuple[str, ...], node: Node) -> None:
        self.text = text
        self.variables = variables
        self._node = node

    def __call__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        if len(args) > len(self.variables):
            raise ConfigError(
                f"expression {self.text!r} takes {len(self.variables)} variables "
                f"({', '.join(self.variables)}), got {len(args)} arguments"
            )
        env: Env = dict(zip(self.variables, (np.asarray(a, dtype=np.float64) for a in args)))
        for key, value in kwargs.items():
            if key not in self.variables:
                raise unknown_choice("variable", key, self.variables)
            if key in env:
                raise ConfigError(f"variable {key!r} given twice")
            env[key] = np.asarray(value, dtype=np.float64)
        missing = [v for v in self.variables if v not in env]
        if missing:
            raise ConfigError(f"expression {self.text!r} needs a value for {', '.join(missing)}")
        shape = np.broadcast_shapes(*(a.shape for a in env.values()))
        with np.errstate(all="ignore"):
            out = self._node(env)
        return np.array(np.broadcast_to(np.asarray(out, dtype=np.float64), shape))

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"


def parse_expression(text: str, *, variables: Sequence[str] = ("x", "y")) -> Expression:
    """Parse ``text`` into a safe, vectorised :class:`Expression` in ``variables``.

    Parameters
    ----------
    text : str
        The expression, for example ``"y - x**3"`` or ``"1 - x**2/4 - y**2"``.
    variables : sequence of str, default ("x", "y")
        The names that stand for inputs.

    Returns
    -------
    Expression
        Call it with one array per variable.

    Raises
    ------
    ConfigError
        If the text does not parse, or uses anything outside the whitelist (attribute access,
        indexing, unknown names or functions, keyword arguments, strings...). The message names
        the offending construct.

    Examples
    --------
    >>> f = parse_expression("y - x**3")
    >>> f(2.0, 9.0)
    array(1.)
    >>> f([0.0, 1.0], [1.0, 1.0])
    array([1., 0.])
    >>> round(float(parse_expression("maximum(x, 0) + pi", variables=["x"])(-1.0)), 4)
    3.1416
    >>> parse_expression("__import__('os')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: expression "__import__('os')" is not allowed: unknown function ...
    >>> parse_expression("x.real")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: expression 'x.real' is not allowed: attribute access 'x.real'; allowed: ...
    """
    if not isinstance(text, str):
        raise ConfigError(f"an expression must be a string, got {text!r}")
    variables = tuple(variables)
    for name in variables:
        if not name.isidentifier() or name in FUNCTIONS or name in CONSTANTS or name.startswith("_"):
            raise ConfigError(f"{name!r} cannot be a variable name")
    if len(text) > _MAX_LENGTH:
        raise ConfigError(f"expression is {len(text)} characters long; at most {_MAX_LENGTH} are allowed")
    stripped = text.strip()
    if not stripped:
        raise ConfigError("expression is empty")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ConfigError(f"could not parse expression {text!r}: {exc.msg}{where}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ConfigError(f"could not parse expression {text!r}: too deeply nested or malformed") from None
    compiler = _Compiler(stripped, text, variables)
    try:
        node = compiler.compile(tree.body)
    except RecursionError:
        raise ConfigError(f"expression {text!r} is too deeply nested") from None
    return Expression(text, variables, node)


def _unknown(kind: str, name: str, allowed: Sequence[str]) -> str:
    """``unknown name 'X'; did you mean 'x'? known: ...``, matching case-insensitively first."""
    same = [a for a in allowed if a.lower() == name.lower()]
    if same:
        return f"unknown {kind} '{name}'; did you mean '{same[0]}'? known: {', '.join(sorted(allowed))}"
    return str(unknown_choice(kind, name, allowed))


class _Compiler:
    """Turn a checked syntax tree into closures; refuse any node outside the whitelist."""

    def __init__(self, source: str, text: str, variables: tuple[str, ...]) -> None:
        self.source = source
        self.text = text
        self.variables = variables

    def refuse(self, what: str) -> ConfigError:
        return ConfigError(f"expression {self.text!r} is not allowed: {what}")

    def allowed(self) -> str:
        names = ", ".join((*self.variables, *CONSTANTS))
        return f"allowed: numbers, {names}, + - * / ** and unary minus, {', '.join(sorted(FUNCTIONS))}"

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def compile(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                kind = "string" if isinstance(value, str | bytes) else type(value).__name__
                raise self.refuse(f"{kind} literal {self.segment(node)}; {self.allowed()}")
            constant = np.float64(value)
            return lambda env: constant
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.variables:
                return lambda env: env[name]
            if name in CONSTANTS:
                constant = np.float64(CONSTANTS[name])
                return lambda env: constant
            raise self.refuse(_unknown("name", name, (*self.variables, *CONSTANTS)))
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.refuse(f"operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)}"
                                  f" in {self.segment(node)}; {self.allowed()}")
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda env: op(left(env), right(env))
        if isinstance(node, ast.UnaryOp):
            op = _UNARY.get(type(node.op))
            if op is None:
                raise self.refuse(f"operator {_OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)}"
                                  f" in {self.segment(node)}; {self.allowed()}")
            operand = self.compile(node.operand)
            return lambda env: op(operand(env))
        if isinstance(node, ast.Call):
            return self.compile_call(node)
        what = _REFUSED.get(type(node), type(node).__name__)
        raise self.refuse(f"{what} {self.segment(node)!r}; {self.allowed()}")

    def compile_call(self, node: ast.Call) -> Node:
        if isinstance(node.func, ast.Attribute):
            raise self.refuse(f"attribute access {self.segment(node.func)!r}; only named functions may be "
                              f"called: {', '.join(sorted(FUNCTIONS))}")
        if not isinstance(node.func, ast.Name):
            raise self.refuse(f"calling {self.segment(node.func)!r}; only named functions may be called: "
                              f"{', '.join(sorted(FUNCTIONS))}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(_unknown("function", name, FUNCTIONS))
        if node.keywords:
            raise self.refuse(f"keyword arguments in {self.segment(node)!r}")
        fn, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise self.refuse(
                f"{name}() takes {arity} {plural}, got {len(node.args)} in {self.segment(node)!r}"
            )
        args = [self.compile(a) for a in node.args]
        if arity == 1:
            (arg,) = args
            return lambda env: fn(arg(env))
        return lambda env: fn(*(a(env) for a in args))
