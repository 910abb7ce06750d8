"""The trial store on its own: records read back equal, damage is a miss (never served, never a crash, one
warning), nothing read can run code, a store that cannot be used never stops a run, and claims."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import pickle
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from atomlab.engine.outcome import Outcome
from atomlab.lab import records
from atomlab.lab import store as store_mod
from atomlab.lab.store import TRIAL_FIELDS, StoreWarning, TrialStore

SRC = Path(__file__).resolve().parents[2] / "src" / "atomlab"


def sample_outcomes() -> dict[str, Outcome]:
    """Outcomes shaped like every trial kind's: population, sklearn, ordered SGD, scratch, a diverged one."""
    rng = np.random.default_rng(0)
    return {
        "population": Outcome(
            rows=[{"step": s, "epoch": s / 4, "train_loss": float(rng.random()), "test_acc": 0.5 + s / 100}
                  for s in range(0, 20, 4)],
            state={"W0": rng.normal(size=(2, 8)).astype(np.float32), "b0": np.zeros(8, np.float32)},
            artefacts={"snap/W0": rng.normal(size=(3, 2, 8)), "snapshot_steps": np.array([0, 8, 16]),
                       "grid": rng.random((16, 16)).astype(np.float32)},
            wall_time=0.25, info={"population_size": 6, "device": "cpu", "steps": 16,
                                  "population_memory_bytes": 12345, "backend": "numpy", "data_note": ""}),
        "sklearn": Outcome(rows=[{"step": 0, "epoch": 0, "train_acc": 1.0, "test_acc": 0.75}], wall_time=0.01,
                           info={"estimator": "MLPClassifier(max_iter=5)", "extra": {"n_train": 40,
                                                                                    "n_iter": math.nan}}),
        "ordered": Outcome(rows=[{"step": 0, "epoch": 0.0, "phase": "start", "test_acc": 0.5},
                                 {"step": 7, "epoch": 0.5, "phase": "negatives", "test_acc": np.float32(0.25)}],
                           info={"path": "ordered_sgd", "extra": {"swing": -0.0, "swing_first": math.inf},
                                 "steps": 7, "levels": (1, (2, 3)), 4: "an int key", "arr": np.arange(3)}),
        "scratch": Outcome(rows=[{"step": 1, "test_mse": np.float64(0.125), "train_mse": np.int64(3)}],
                           state={"W0": np.eye(3)}, info={"engine": "scratch", "device": "cpu (numpy)"}),
        "diverged": Outcome(rows=[{"step": 0, "train_loss": math.nan}], diverged_step=3, wall_time=0.5),
    }


def same(a: Outcome | None, b: Outcome) -> bool:
    """Equal in every field, type for type (NaN equal to NaN), arrays bit for bit."""
    if a is None:
        return False
    arrays = all(set(x) == set(y) and all(x[k].dtype == y[k].dtype and x[k].shape == y[k].shape
                                          and x[k].tobytes() == y[k].tobytes() for k in x)
                 for x, y in ((a.state, b.state), (a.artefacts, b.artefacts)))
    return (arrays and records.dumps(a.rows) == records.dumps(b.rows) and records.dumps(a.info) == records.dumps(b.info)
            and _types(a.rows) == _types(b.rows) and _types(a.info) == _types(b.info)
            and a.diverged_step == b.diverged_step and a.wall_time == b.wall_time and a.error == b.error)


def _types(obj):
    if isinstance(obj, dict):
        return {repr(k): (type(k).__name__, _types(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [type(obj).__name__, *(_types(v) for v in obj)]
    return type(obj).__name__


def filled_store(root: Path) -> tuple[TrialStore, dict[str, Outcome]]:
    outs = sample_outcomes()
    store = TrialStore(root)
    for key, out in outs.items():
        store.put(key, out)
    store.close()  # checkpoints the WAL into the one file
    return store, outs


def store_warnings(caught) -> list:
    return [w for w in caught if issubclass(w.category, StoreWarning)]


# -- records ---------------------------------------------------------------------------------------------

def test_every_trial_kinds_outcome_reads_back_equal(tmp_path):
    store, outs = filled_store(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on a healthy store
        got = TrialStore(tmp_path).get_many(list(outs) + ["absent"])
    assert got["absent"] is None
    for key, out in outs.items():
        assert same(got[key], out), key
    assert TrialStore(tmp_path, enabled=False).get("population") is None  # --no-cache: always a miss


def test_a_value_that_would_not_read_back_equal_is_kept_in_memory_only(tmp_path):
    odd = Outcome(rows=[{"step": 0}], info={"where": Path("/tmp")})
    store = TrialStore(tmp_path)
    with pytest.warns(StoreWarning, match=r"info\['where'\] is a pathlib"):
        store.put("odd", odd)
    assert store.get("odd") is odd  # this run still has it
    assert TrialStore(tmp_path).get("odd") is None  # never written as a lossy repr
    with pytest.raises(records.UnstorableValue, match="array of object"):
        records.pack_arrays({"W": np.array([object()])}, {})
    # the message names the value's place however deep it sits
    for value, place in (([{"a": 1.0}, {"b": (2, object())}], r"rows\[1\]\['b'\]\[1\] is a builtins.object"),
                         ({3: {"x": np.datetime64(1, "D")}}, r"rows\[3\]\['x'\] is a NumPy datetime64"),
                         ({(1, 2): np.array([object()])}, r"rows\[\(1, 2\)\] is an array of object")):
        with pytest.raises(records.UnstorableValue, match=place):
            records.dumps(value, "rows")


def test_failed_trials_are_recorded_but_never_served(tmp_path):
    store = TrialStore(tmp_path)
    store.put("f", Outcome(error="its worker process was killed twice"))
    assert store.get("f") is None
    (out, _config), = store.read_records(["f"]).values()
    assert out.failed and out.error == "its worker process was killed twice"
    store.put("f", Outcome(rows=[{"step": 1}]))
    store.put("f", Outcome(error="late failure"))  # a failure never replaces a finished result
    assert store.get("f").rows == [{"step": 1}]


def flip_field(root: Path, key: str, field: str, position: float) -> None:
    """Flip one byte (one bit of a number) of one field of one record in place; the checksum is left as it was."""
    with sqlite3.connect(root / store_mod.STORE_FILE) as conn:
        conn.text_factory = bytes
        value = conn.execute(f"SELECT {field} FROM trials WHERE key = ?", (key,)).fetchone()[0]
        if isinstance(value, float):
            bits = struct.unpack("<Q", struct.pack("<d", value))[0] ^ 1
            flipped = struct.unpack("<d", struct.pack("<Q", bits))[0]
            conn.execute(f"UPDATE trials SET {field} = ? WHERE key = ?", (flipped, key))
            return
        data = bytearray(value)
        data[int(position * (len(data) - 1))] ^= 0x20
        cast = "BLOB" if field == "arrays" else "TEXT"  # TEXT as raw bytes: may be invalid UTF-8, as on a disk
        conn.execute(f"UPDATE trials SET {field} = CAST(? AS {cast}) WHERE key = ?", (bytes(data), key))


@pytest.mark.parametrize("field", ["rows", "info", "arrays", "wall_time", "created", "version", "status", "checksum"])
def test_a_byte_flipped_in_a_record_is_a_miss_with_one_warning(tmp_path, field):
    _, outs = filled_store(tmp_path)
    rng = np.random.default_rng(len(field))
    for key in outs:
        flip_field(tmp_path, key, field, rng.random())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh = TrialStore(tmp_path)
        got = fresh.get_many(list(outs))
    assert all(got[key] is None for key in outs)
    assert len(store_warnings(caught)) == (0 if field == "status" else 1)  # 'done' -> 'Done': not even looked at
    assert fresh.available  # a damaged record does not take the store down


def test_300_single_byte_flips_in_the_database_file_never_serve_a_wrong_outcome(tmp_path):
    """Whatever byte of the file flips, every trial is either served exactly or missed, without a crash."""
    _, outs = filled_store(tmp_path / "good")
    original = (tmp_path / "good" / store_mod.STORE_FILE).read_bytes()
    rng = np.random.default_rng(15)
    served = missed = 0
    work = tmp_path / "flipped"
    for _ in range(300):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        data = bytearray(original)
        data[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        (work / store_mod.STORE_FILE).write_bytes(bytes(data))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with TrialStore(work) as s:
                got = s.get_many(list(outs))
        assert len(store_warnings(caught)) <= 1
        for key, out in outs.items():
            if got[key] is None:
                missed += 1
            else:
                assert same(got[key], out), key
                served += 1
    assert served > 0 and missed > 0  # the flips hit both records and the space around them


# -- nothing read runs code ---------------------------------------------------------------------------

class Payload:
    """Unpickling this creates the marker file: proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_planted_payload_is_live(tmp_path):
    """The payload used below really runs code when unpickled (so its absence later means something)."""
    pickle.loads(pickle.dumps(Payload(tmp_path / "live")))
    assert (tmp_path / "live").exists()


def test_a_pickle_planted_in_the_old_cache_is_never_opened(tmp_path, tiny_experiment):
    from atomlab.lab.api import run_experiment

    exp = tiny_experiment()
    keys = [t.key for t in exp.plan(exp.config("quick"))]
    marker = tmp_path / "pwned"
    for key in keys:  # both layouts the pickle cache used: ROOT/ab/KEY.pkl and ROOT/trials/ab/KEY.pkl
        for folder in (tmp_path / key[:2], tmp_path / "trials" / key[:2]):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{key}.pkl").write_bytes(pickle.dumps(Payload(marker)))
    result = run_experiment(exp, cache_dir=tmp_path, report=False, seeds=exp.settings["seeds"])
    assert not marker.exists()
    assert result.provenance["trials_trained"] == len(keys)


def forge(root: Path, key: str, **fields) -> None:
    """Replace fields of a record and give it a valid checksum, as a hostile writer could."""
    with sqlite3.connect(root / store_mod.STORE_FILE) as conn:
        row = dict(zip(TRIAL_FIELDS, conn.execute(f"SELECT {', '.join(TRIAL_FIELDS)} FROM trials WHERE key = ?",
                                                  (key,)).fetchone()))
        row.update(fields)
        conn.execute(f"UPDATE trials SET {', '.join(f'{f} = ?' for f in fields)}, checksum = ? WHERE key = ?",
                     (*fields.values(), records.digest([row[f] for f in TRIAL_FIELDS]), key))


def test_a_pickle_in_a_checksummed_blob_is_refused_not_run(tmp_path):
    filled_store(tmp_path)
    marker = tmp_path / "pwned"
    evil = np.array([Payload(marker)], dtype=object)
    npy = io.BytesIO()
    np.save(npy, evil, allow_pickle=True)
    npz = io.BytesIO()
    np.savez(npz, **{"s/W0": evil})  # np.savez pickles object arrays
    payload = pickle.dumps(Payload(marker))
    head = json.dumps([["s", "W0", "|O", [1], 0, len(payload)]]).encode()
    ours = records.ARRAYS_MAGIC + struct.pack("<Q", len(head)) + head + payload  # our layout, an object dtype
    forge(tmp_path, "population", arrays=npz.getvalue())
    forge(tmp_path, "diverged", arrays=ours)
    forge(tmp_path, "scratch", rows=json.dumps([{"$array": base64.b64encode(npy.getvalue()).decode()}]))
    forge(tmp_path, "sklearn", arrays=payload)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = TrialStore(tmp_path).get_many(["population", "diverged", "scratch", "sklearn", "ordered"])
    assert [k for k, v in got.items() if v is not None] == ["ordered"]  # the untouched record is still served
    assert not marker.exists()
    assert len(store_warnings(caught)) == 1


def test_records_of_another_layout_or_version_are_never_served(tmp_path):
    filled_store(tmp_path)
    forge(tmp_path, "population", schema=records.SCHEMA + 1)
    forge(tmp_path, "scratch", version="0.0.1")
    with pytest.warns(StoreWarning, match="record layout 2, expected 1"):
        got = TrialStore(tmp_path).get_many(["population", "scratch", "sklearn"])
    assert got["population"] is None and got["scratch"] is None and got["sklearn"] is not None


def test_nothing_in_the_package_unpickles_from_disk():
    unsafe = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|joblib\.load|dill\.|shelve\.|marshal\.loads?\(|"
                        r"torch\.load\((?![^)]*weights_only\s*=\s*True)")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py")
             for n, line in enumerate(p.read_text().splitlines(), 1) if unsafe.search(line)]
    assert found == []


# -- a store that cannot be used never stops a run ----------------------------------------------------

def run_tiny(experiment, cache_dir: Path, out: Path | None = None):
    from atomlab.lab.api import run_experiment

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_experiment(experiment, cache_dir=cache_dir, out=out, report=False)
    return result, store_warnings(caught)


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder no one can create files in (root included: ``chattr +i``)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.mark.parametrize("where", ["read-only folder", "a file", "not a database", "another layout", "full disk"])
def test_a_store_that_cannot_be_used_warns_once_and_the_run_finishes(tmp_path, read_only_dir, where, monkeypatch,
                                                                    tiny_experiment):
    cache = {"read-only folder": read_only_dir, "a file": tmp_path / "file"}.get(where, tmp_path / "store")
    if where == "a file":
        cache.write_text("not a folder")
    if where == "not a database":
        cache.mkdir()
        (cache / store_mod.STORE_FILE).write_bytes(np.random.default_rng(0).bytes(8192))
    if where == "another layout":
        cache.mkdir()
        with sqlite3.connect(cache / store_mod.STORE_FILE) as conn:
            conn.executescript(store_mod.SCHEMA_SQL)
            conn.execute("INSERT INTO meta VALUES ('schema', '99')")
    if where == "full disk":
        connect = sqlite3.connect

        def small_disk(*args, **kwargs):  # SQLite's own "database or disk is full" past 10 pages (40 kB)
            conn = connect(*args, **kwargs)
            conn.execute("PRAGMA max_page_count = 10")
            return conn

        monkeypatch.setattr(store_mod.sqlite3, "connect", small_disk)
    result, caught = run_tiny(tiny_experiment(), cache, tmp_path / "out")
    assert len(caught) == 1 and "goes on without it" in str(caught[0].message)
    if where == "full disk":
        assert "full" in str(caught[0].message)
    assert result.provenance["trials_trained"] == len(result.trials) and result.verdict
    assert result.provenance["store"].startswith("none (")
    assert (tmp_path / "out" / "final.csv").exists()


# -- claims -------------------------------------------------------------------------------------------

def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_claims_wait_for_a_live_owner_and_take_over_from_a_dead_or_late_one(tmp_path, monkeypatch):
    a, b = TrialStore(tmp_path), TrialStore(tmp_path)  # two runs (one process, two owners)
    assert a.claim(["k1", "k2"]).granted == {"k1", "k2"}
    got = b.claim(["k1", "k2", "k3"])
    assert got.granted == {"k3"} and set(got.waiting) == {"k1", "k2"} and got.waiting["k1"].token == a.owner.token
    assert a.claim(["k1"]).granted == {"k1"}  # its own claim: still its own
    a.put("k1", Outcome(rows=[{"step": 1}]))
    got = b.claim(["k1", "k2"])
    assert got.granted == set() and set(got.waiting) == {"k2"}  # k1 is finished: read it, do not train it
    assert b.get("k1").rows == [{"step": 1}]
    with sqlite3.connect(tmp_path / store_mod.STORE_FILE) as conn:  # k2's owner dies
        conn.execute("UPDATE trials SET owner_pid = ? WHERE key = 'k2'", (dead_pid(),))
    assert b.claim(["k2"]).granted == {"k2"}
    monkeypatch.setattr(store_mod, "LEASE_SECONDS", -1.0)  # a's next lease has already run out
    a.claim(["k4"])
    monkeypatch.setattr(store_mod, "LEASE_SECONDS", 60.0)
    assert b.claim(["k4"]).granted == {"k4"}
    a.claim(["k5"])
    a.release()
    assert b.claim(["k5"]).granted == {"k5"}


def test_the_heartbeat_renews_leases_and_releases_what_is_left(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "LEASE_SECONDS", 0.4)
    a, b = TrialStore(tmp_path), TrialStore(tmp_path)
    with a.holding():
        a.claim(["k"])
        import time

        time.sleep(1.0)  # over two leases: only renewal keeps the claim
        assert set(b.claim(["k"]).waiting) == {"k"}
    assert b.claim(["k"]).granted == {"k"}
