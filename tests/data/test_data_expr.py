"""The safe expression parser: what it accepts computes the right thing; everything else is refused."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.data import parse_expression
from atomlab.errors import ConfigError

X = np.linspace(-2, 2, 7)
Y = np.linspace(1, -3, 7)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("y - x**3", Y - X**3),
        ("y - x", Y - X),
        ("y - abs(x)", Y - np.abs(X)),
        ("1 - x**2/4 - y**2", 1 - X**2 / 4 - Y**2),
        ("y - sin(pi*x)", Y - np.sin(np.pi * X)),
        ("-x + +y", -X + Y),
        ("2e-1 * x - 3", 0.2 * X - 3),
        ("exp(-x**2) * cos(y) + tanh(x) - sign(y)", np.exp(-X**2) * np.cos(Y) + np.tanh(X) - np.sign(Y)),
        ("sqrt(x**2 + y**2) - e", np.hypot(X, Y) - np.e),
        ("minimum(x, y) + maximum(x, 0) / 2", np.minimum(X, Y) + np.maximum(X, 0) / 2),
        ("tan(x / 4) + log(1 + y**2)", np.tan(X / 4) + np.log(1 + Y**2)),
        ("2 ** -x", 2.0 ** -X),
    ],
)
def test_accepted_expressions_compute_the_numpy_value(text, expected):
    np.testing.assert_allclose(parse_expression(text)(X, Y), expected)


def test_keyword_call_constant_and_scalar_inputs():
    f = parse_expression("y - x**3")
    np.testing.assert_allclose(f(x=X, y=Y), Y - X**3)
    assert float(f(2.0, 9.0)) == 1.0
    constant = parse_expression("3")(X, Y)
    assert constant.shape == X.shape and np.all(constant == 3)
    assert parse_expression("x", variables=["x"])(X).dtype == np.float64


def test_domain_errors_give_nan_not_exceptions():
    with np.errstate(all="raise"):
        assert np.isnan(parse_expression("log(x)")(-1.0, 0.0))
    assert np.isinf(parse_expression("9**9**9")(0.0, 0.0))  # float overflow, never a huge int


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('ls')", "attribute access"),
        ("x.real", "attribute access 'x.real'"),
        ("(x).__class__", "attribute access"),
        ("np.sin(x)", "attribute access 'np.sin'"),
        ("x[0]", "indexing 'x[0]'"),
        ("lambda: 1", "lambda"),
        ("(lambda: 1)()", "calling 'lambda: 1'"),
        ("x if y else 1", "conditional expression"),
        ("x < y", "comparison"),
        ("x and y", "boolean operator"),
        ("x // 2", "operator //"),
        ("x % 2", "operator %"),
        ("x @ y", "operator @"),
        ("~x", "operator ~"),
        ("not x", "operator not"),
        ("'abc'", "string literal"),
        ("b'abc'", "string literal"),
        ("1j * x", "complex literal"),
        ("True + x", "bool literal"),
        ("[x, y]", "list"),
        ("(x, y)", "tuple"),
        ("{x: y}", "dict"),
        ("[i for i in x]", "comprehension"),
        ("z + x", "unknown name 'z'"),
        ("X + y", "unknown name 'X'; did you mean 'x'"),
        ("__builtins__", "unknown name '__builtins__'"),
        ("open('f')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("sinh(x)", "unknown function 'sinh'; did you mean 'sin'"),
        ("sin(x=1)", "keyword arguments"),
        ("sin(*x)", "starred"),
        ("sin(x, y)", "sin() takes 1 argument, got 2"),
        ("minimum(x)", "minimum() takes 2 arguments, got 1"),
        ("(y := 1)", "assignment expression"),
        ("f'{x}'", "f-string"),
        ("x +", "could not parse"),
        ("import os", "could not parse"),
        ("x; y", "could not parse"),
        ("", "empty"),
        ("x" + " + x" * 600, "characters long"),
    ],
)
def test_everything_outside_the_whitelist_is_refused_by_name(text, fragment):
    with pytest.raises(ConfigError) as info:
        parse_expression(text)
    assert fragment in str(info.value)


def test_refused_before_anything_runs(monkeypatch):
    import builtins

    def boom(*args, **kwargs):  # pragma: no cover - must never be reached
        raise AssertionError("user text reached the interpreter")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    monkeypatch.setattr(builtins, "__import__", boom, raising=True)
    try:
        with pytest.raises(ConfigError):
            parse_expression("__import__('os').system('echo pwned')")
        assert float(parse_expression("x + y")(1.0, 2.0)) == 3.0
    finally:
        monkeypatch.undo()


def test_bad_variables_and_calls():
    with pytest.raises(ConfigError, match="cannot be a variable name"):
        parse_expression("x", variables=["sin"])
    f = parse_expression("x + y")
    with pytest.raises(ConfigError, match="needs a value for y"):
        f(1.0)
    with pytest.raises(ConfigError, match="takes 2 variables"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(ConfigError, match="unknown variable 'z'"):
        f(1.0, z=2.0)
    with pytest.raises(ConfigError, match="must be a string"):
        parse_expression(42)
