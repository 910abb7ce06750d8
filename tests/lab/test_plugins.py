"""Plugins: a user's file or module, or an installed entry point, registers building blocks everywhere."""

from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

from atomlab.errors import ConfigError
from atomlab.lab import plugins

pytestmark = pytest.mark.usefixtures("clean_registries")  # tests/conftest.py: plugins leave no trace


SNAKE = """
import torch
import atomlab

def _wiggle(x):
    return torch.sin(x) ** 2

@atomlab.register_activation("snake-test")
def snake(x):
    return x + _wiggle(x)
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_file_plugin_registers_and_is_listed_as_a_plugin(tmp_path):
    path = write(tmp_path, "acts.py", SNAKE)
    plugin = plugins.load_plugin(str(path))
    assert plugin.added["activations"] == ["snake-test"] and plugin.sha256
    entry = next(e for e in plugins.describe_entries("activations") if e["name"] == "snake-test")
    assert entry["origin"] == f"plugin {path.resolve()}"
    assert next(e for e in plugins.describe_entries("activations") if e["name"] == "relu")["origin"] == "built-in"
    assert plugins.load_plugin(str(path)) is plugin  # unchanged: not run again


def test_a_function_named_after_the_colon_is_called(tmp_path):
    path = write(tmp_path, "late.py", """
        import atomlab
        def register():
            atomlab.register_loss("half-test")(lambda out, y: 0.5 * (out - y) ** 2)
        NOT_A_FUNCTION = 3
    """)
    assert plugins.load_plugin(f"{path}:register").added["losses"] == ["half-test"]
    with pytest.raises(ConfigError, match="'NOT_A_FUNCTION' is a int, not callable"):
        plugins.load_plugin(f"{path}:NOT_A_FUNCTION")
    with pytest.raises(ConfigError, match="has no function 'regster'; it defines: register"):
        plugins.load_plugin(f"{path}:regster")


@pytest.mark.parametrize("source, message", [
    ("import atomlab\natomlab.register_activation('bad-test')(42)\n",
     r"registered activation 'bad-test' must be callable \(a function or a class\), got 42 \(int\)"),
    ("def broken(:\n", r"failed to load: SyntaxError"),
    ("import no_such_module_here\n", r"failed to load: ModuleNotFoundError"),
])
def test_a_bad_plugin_is_one_clear_error(tmp_path, source, message):
    with pytest.raises(ConfigError, match=message):
        plugins.load_plugin(str(write(tmp_path, "bad.py", source)))


def test_a_missing_plugin_names_what_it_looked_for(tmp_path):
    with pytest.raises(ConfigError, match="no file .*nowhere.py"):
        plugins.load_plugin(str(tmp_path / "nowhere.py"))
    with pytest.raises(ConfigError, match="neither a file nor an importable module"):
        plugins.load_plugin("no_such_package.acts")


def test_installed_entry_points_load_modules_and_call_functions(tmp_path, monkeypatch):
    write(tmp_path, "ep_acts_test.py", SNAKE.replace("snake-test", "ep-snake-test"))
    write(tmp_path, "ep_fn_test.py", """
        import atomlab
        def register():
            atomlab.register_initializer("ep-ones-test")(lambda shape, generator=None, **kw: 1.0)
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [importlib.metadata.EntryPoint("acts", "ep_acts_test", plugins.ENTRY_POINT_GROUP),
             importlib.metadata.EntryPoint("fn", "ep_fn_test:register", plugins.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: found if group ==
                        plugins.ENTRY_POINT_GROUP else [])
    loaded = plugins.load_entry_points()
    assert [p.spec for p in loaded] == ["entry point acts", "entry point fn"]
    assert "ep-snake-test" in plugins.registries()["activations"]
    assert "ep-ones-test" in plugins.registries()["initializers"]
    assert plugins.load_entry_points() == loaded  # once per process


def test_an_entry_point_that_is_neither_module_nor_function_is_refused(tmp_path, monkeypatch):
    write(tmp_path, "ep_const_test.py", "VALUE = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = [importlib.metadata.EntryPoint("const", "ep_const_test:VALUE", plugins.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: found)
    with pytest.raises(ConfigError, match="entry point 'const' .* is a int, not a module or a function"):
        plugins.load_entry_points()


def test_the_whole_plugin_file_enters_the_cache_key(tmp_path):
    from atomlab.engine import TrainSpec
    from atomlab.lab.trial import DataSpec, Trial
    from atomlab.nn import MLPSpec

    path = write(tmp_path, "acts.py", SNAKE)

    def key() -> str:
        plugins.load_plugin(str(path))
        return Trial({}, 0, DataSpec("moons"), MLPSpec(activation="snake-test"), TrainSpec(steps=3)).key

    first = key()
    assert key() == first
    path.write_text(path.read_text().replace("** 2", "** 4"))  # only the helper changes
    assert key() != first


def test_a_plugin_is_loaded_in_worker_processes(tmp_path):
    from atomlab.engine import TrainSpec
    from atomlab.lab import runner
    from atomlab.lab.data import materialize
    from atomlab.lab.trial import DataSpec, Trial
    from atomlab.nn import MLPSpec

    path = write(tmp_path, "acts.py", SNAKE)
    plugin = plugins.load_plugin(str(path))
    trials = [Trial({}, s, DataSpec("moons", {"n_train": 40, "n_test": 20}), MLPSpec(layers=(4,), activation=
                    "snake-test"), TrainSpec(steps=5)) for s in range(2)]
    modules = runner._modules_of(trials)
    assert plugin.module in modules  # the runner sends the plugin's module name; the worker loads the file first
    got = {}
    broken = runner._run_in_pool([("population", [0, 1])], trials, {i: materialize(t.data) for i, t in
                                 enumerate(trials)}, "cpu", 1, modules, lambda idx, outs: got.update(zip(idx, outs)))
    assert broken == [] and sorted(got) == [0, 1]
    assert not any(o.failed for o in got.values()) and all(o.final["train_loss"] > 0 for o in got.values())
