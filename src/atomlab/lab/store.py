"""The trial store: every finished trial once, checksummed, never unpickled, shared safely.

One SQLite file (``store.sqlite`` in ``$ATOMLAB_CACHE``, else ``~/.cache/atomlab``) holds a row per
trial and a row per run. SQLite, from the standard library, gives what a shared store needs without
a server: atomic transactions, many readers beside one writer (WAL mode), and a busy timeout
instead of errors when two processes write at once.

A trial row is keyed by :attr:`Trial.key <atomlab.lab.trial.Trial.key>` (which covers the package
version and the training code's fingerprint). Its metrics and ``info`` are JSON, its arrays raw
bytes behind a JSON index, without pickle (:mod:`atomlab.lab.records`), and a SHA-256 checksum over every
field is verified before anything is parsed. A record that is damaged, foreign or of another
layout is a miss: it is retrained, never served, and the run says so once.

Before training, a run *claims* the trials it lacks (a row with status ``claimed``, its owner and a
lease that a heartbeat renews); another run that needs the same trials waits for them instead of
training them again, and takes a claim over when its lease runs out or its owner's process is gone.

The store never stops a run: if its file cannot be opened or written (a read-only folder, a full
disk, a path that is a file, a damaged database), the store warns once and keeps this run's trials
in memory.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from atomlab.engine.outcome import Outcome
>>> store = TrialStore(tempfile.mkdtemp())
>>> store.put("k1", Outcome(rows=[{"step": 1, "test_acc": 0.9}], state={"W0": np.ones((2, 2))}))
>>> store.get("k1").rows
[{'step': 1, 'test_acc': 0.9}]
>>> store.get("k2") is None
True
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atomlab._version import __version__
from atomlab.engine.outcome import Outcome
from atomlab.lab import records
from atomlab.lab.leases import Heartbeat, Owner
from atomlab.lab.trial import Trial, canonical_json, engine_fingerprint

STORE_FILE = "store.sqlite"
#: Seconds a claim stays valid without renewal; the heartbeat renews it four times as often. An owner on
#: another host that dies leaves its trials claimed this long (one on this host is seen dead at once).
LEASE_SECONDS = 60.0
#: Seconds a write waits for another process's transaction before the store gives up (and goes on in memory).
BUSY_TIMEOUT = 60.0
#: Keys per ``IN (...)`` query (well under SQLite's limit on bound parameters).
CHUNK = 500

#: The checksummed fields of a trial row, in the order the checksum reads them.
TRIAL_FIELDS = ("key", "status", "schema", "version", "fingerprint", "config", "rows", "info", "diverged_step",
                "error", "wall_time", "host", "created", "run_id", "arrays")
#: The checksummed fields of a run row.
RUN_FIELDS = ("id", "experiment", "scale", "seeds", "config", "trial_keys", "out_dir", "host", "pid", "version",
              "fingerprint", "command", "started", "status", "finished", "verdict", "statistic", "trained",
              "reused", "failed", "provenance")
FINISHED = ("done", "diverged")

SCHEMA_SQL = f"""
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    key TEXT PRIMARY KEY,       -- Trial.key: config + package version + code fingerprint
    status TEXT NOT NULL,       -- claimed | done | diverged | failed
    schema INTEGER,             -- records.SCHEMA of the row's layout
    version TEXT,               -- atomlab.__version__ that trained it
    fingerprint TEXT,           -- engine_fingerprint() of the code that trained it
    config TEXT,                -- the trial's canonical JSON (Trial.to_dict)
    rows TEXT,                  -- tagged JSON: the recorded metrics, one dict per record point
    info TEXT,                  -- tagged JSON: Outcome.info
    diverged_step INTEGER,
    error TEXT,                 -- why a failed trial failed
    wall_time REAL,             -- seconds of training attributed to the trial
    host TEXT,                  -- where it trained
    created REAL,               -- when it was written (Unix time)
    run_id TEXT,                -- the run that trained it
    arrays BLOB,                -- records.pack_arrays: JSON index + raw bytes (state and artefacts), no pickle
    checksum TEXT,              -- SHA-256 over the {len(TRIAL_FIELDS)} fields above
    owner_host TEXT, owner_pid INTEGER, owner_token TEXT, lease_expires REAL   -- claims only
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, experiment TEXT, scale TEXT, seeds INTEGER,
    config TEXT,                -- tagged JSON of the resolved configuration
    trial_keys TEXT,            -- JSON list: the plan's trial keys, in order
    out_dir TEXT, host TEXT, pid INTEGER, version TEXT, fingerprint TEXT, command TEXT,
    started REAL, status TEXT,  -- running | finished | failed
    finished REAL, verdict TEXT, statistic TEXT, trained INTEGER, reused INTEGER, failed INTEGER,
    provenance TEXT,            -- tagged JSON
    checksum TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_out ON runs(out_dir);
"""


class StoreWarning(UserWarning):
    """The trial store could not be used as asked (the run goes on)."""


def default_store_dir() -> Path:
    """``$ATOMLAB_CACHE``, else ``$XDG_CACHE_HOME/atomlab``, else ``~/.cache/atomlab``.

    Examples
    --------
    >>> (default_store_dir() / STORE_FILE).name
    'store.sqlite'
    """
    if os.environ.get("ATOMLAB_CACHE"):
        return Path(os.environ["ATOMLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "atomlab"


@dataclass
class Claims:
    """What :meth:`TrialStore.claim` got: the keys now ours, and those another live run holds."""

    granted: set[str] = field(default_factory=set)
    waiting: dict[str, Owner] = field(default_factory=dict)


class _Unavailable(Exception):
    """Raised inside the store when its file cannot be used; caught at the public methods."""


class TrialStore:
    """Finished trials and past runs in one SQLite file; see the module docstring.

    Parameters
    ----------
    root : path or None
        Folder of the store (``store.sqlite`` inside it); None uses :func:`default_store_dir`.
    enabled : bool
        When False (``--no-cache``), :meth:`get` always misses and :meth:`claim` grants every key,
        but finished trials are still written.
    """

    def __init__(self, root: str | Path | None = None, *, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_store_dir()
        self.path = self.root / STORE_FILE
        self.enabled = enabled
        self.owner = Owner.current()
        self.problem: str | None = None  #: why the store went on in memory (None while it works)
        self.damaged = 0  #: records refused in this run (damaged, foreign, other layout)
        self._conn: sqlite3.Connection | None = None
        self._memory: dict[str, Outcome] = {}
        self._lock = threading.RLock()
        self._warned: set[str] = set()

    # ----- connection -------------------------------------------------------------------------
    def _db(self, create: bool = True) -> sqlite3.Connection | None:
        """The open connection; None when the file does not exist and ``create`` is False."""
        if self.problem is not None:
            raise _Unavailable(self.problem)
        if self._conn is not None:
            return self._conn
        if not create and not self.path.is_file():
            return None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and not self.path.is_file():
                raise OSError(f"{self.path} is not a file")
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
            try:
                conn.text_factory = bytes  # decoded after the checksum: damaged UTF-8 is a miss, not an error
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL keeps the file consistent; a kill loses nothing
                conn.executescript(SCHEMA_SQL)
                row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
                if row is None:
                    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(records.SCHEMA),))
                elif row[0] != str(records.SCHEMA).encode():
                    raise sqlite3.DatabaseError(f"the store's layout is version {row[0]!r}, this atomlab reads "
                                                f"version {records.SCHEMA}")
            except BaseException:
                conn.close()
                raise
        except (sqlite3.Error, OSError, ValueError) as exc:
            self._go_offline(exc)
        self._conn = conn
        return conn

    def _go_offline(self, exc: BaseException) -> None:
        self.problem = f"{type(exc).__name__}: {exc}"
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        self._warn("offline", f"the trial store {self.path} cannot be used ({self.problem}); this run goes on "
                              "without it and keeps its trials in memory only")
        raise _Unavailable(self.problem)

    def _warn(self, kind: str, message: str) -> None:
        if not self._warned:  # one warning per run: the first problem says the store is in trouble
            warnings.warn(message, StoreWarning, stacklevel=4)
        self._warned.add(kind)

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock between two writers
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _guarded(self, fn: Callable[[], Any], default: Any) -> Any:
        """Run ``fn`` on the database; on any failure of the file go on in memory and return ``default``."""
        with self._lock:
            try:
                return fn()
            except _Unavailable:
                return default
            except (sqlite3.Error, OSError, MemoryError) as exc:
                try:
                    self._go_offline(exc)
                except _Unavailable:
                    return default

    def close(self) -> None:
        """Close the database connection (it reopens when used again)."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def __enter__(self) -> TrialStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def available(self) -> bool:
        """Whether the store's file is in use (False: this run keeps its trials in memory)."""
        return self.problem is None

    # ----- trials -----------------------------------------------------------------------------
    def get(self, key: str) -> Outcome | None:
        """The finished outcome of trial ``key``, or None (missing, failed, damaged or foreign)."""
        return self.get_many([key])[key]

    def get_many(self, keys: Sequence[str]) -> dict[str, Outcome | None]:
        """:meth:`get` for many keys at once (one query per :data:`CHUNK` keys)."""
        found: dict[str, Outcome | None] = dict.fromkeys(keys)
        if not self.enabled:
            return found
        for k in keys:
            if k in self._memory:
                found[k] = self._memory[k]
        wanted = [k for k in dict.fromkeys(keys) if found[k] is None]

        def read() -> dict[str, Outcome | None]:
            conn = self._db(create=False)
            if conn is None:
                return found
            cols = ", ".join(TRIAL_FIELDS)
            for s in range(0, len(wanted), CHUNK):
                part = wanted[s:s + CHUNK]
                rows = conn.execute(f"SELECT {cols}, checksum FROM trials WHERE key IN "
                                    f"({', '.join('?' * len(part))}) AND status IN ('done', 'diverged')",
                                    part).fetchall()
                for row in rows:
                    key, outcome = self._verified(row)
                    if key in found and outcome is not None:
                        found[key] = outcome
            return found

        return self._guarded(read, found)

    def _verified(self, row: Sequence[Any], *, any_version: bool = False) -> tuple[str | None, Outcome | None]:
        """Key and outcome of a trial row, or ``(key, None)`` for a record that must not be served."""
        values = dict(zip((*TRIAL_FIELDS, "checksum"), row))
        key = values["key"].decode("ascii", "replace") if isinstance(values["key"], bytes) else None
        try:
            self._check(values, TRIAL_FIELDS, any_version)
            if values["status"] not in (b"done", b"diverged", b"failed"):
                raise records.RecordError(f"status {values['status']!r}")
            outcome = records.outcome_from(values)
            if (values["status"] == b"diverged") != (outcome.diverged_step is not None):
                raise records.RecordError("status and diverged_step disagree")
            return key, outcome
        except (records.RecordError, UnicodeDecodeError, TypeError, ValueError, KeyError) as exc:
            self.damaged += 1
            self._warn("damaged", f"the trial store {self.path} holds a damaged, foreign or incompatible record "
                                  f"(trial {key}: {exc}); such records are retrained, never served (this warning "
                                  "is given once per run)")
            return key, None

    @staticmethod
    def _check(values: dict[str, Any], fields: Sequence[str], any_version: bool) -> None:
        checksum = values["checksum"]
        if not isinstance(checksum, bytes) or records.digest([values[f] for f in fields]) != checksum.decode():
            raise records.RecordError("checksum mismatch")
        if "schema" in values and values["schema"] != records.SCHEMA:
            raise records.RecordError(f"record layout {values['schema']!r}, expected {records.SCHEMA}")
        if not any_version and (values["version"] != __version__.encode()
                                or values["fingerprint"] != engine_fingerprint().encode()):
            raise records.RecordError("written by another atomlab version or training code")

    def put(self, key: str, outcome: Outcome, trial: Trial | None = None, run_id: str | None = None) -> None:
        """Write the outcome of trial ``key`` (the claim on it, if any, becomes the record)."""
        self.put_many([(key, outcome, trial)], run_id=run_id)

    def put_many(self, items: Iterable[tuple[str, Outcome, Trial | None]], run_id: str | None = None) -> None:
        """:meth:`put` for several trials in one transaction (a finished job)."""
        rows, kept = [], {}
        for key, outcome, trial in items:
            kept[key] = outcome
            try:
                rows.append(self._record(key, outcome, trial, run_id))
            except records.UnstorableValue as exc:
                self._memory[key] = outcome  # served to this process only
                self._warn("unstorable", f"trial {key} is kept for this run only: the store writes no value that "
                                         f"would not read back equal, and {exc}")
        if not rows:
            return

        def write() -> None:
            conn = self._db()
            cols = (*TRIAL_FIELDS, "checksum")
            updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "key")
            with self._transaction(conn):
                # a failure never replaces a result someone else finished meanwhile
                conn.executemany(
                    f"INSERT INTO trials ({', '.join(cols)}, owner_host, owner_pid, owner_token, lease_expires) "
                    f"VALUES ({', '.join('?' * len(cols))}, NULL, NULL, NULL, NULL) ON CONFLICT(key) DO UPDATE SET "
                    f"{updates}, owner_host = NULL, owner_pid = NULL, owner_token = NULL, lease_expires = NULL "
                    "WHERE excluded.status != 'failed' OR trials.status NOT IN ('done', 'diverged')",
                    [tuple(r[c] for c in cols) for r in rows])

        self._guarded(write, None)
        if self.problem is not None:
            self._memory.update(kept)  # the file could not take them: served to this process only

    def _record(self, key: str, outcome: Outcome, trial: Trial | None, run_id: str | None) -> dict[str, Any]:
        fields = records.outcome_fields(outcome)
        status = "failed" if outcome.failed else ("diverged" if outcome.diverged else "done")
        rec = {"key": key, "status": status, "schema": records.SCHEMA, "version": __version__,
               "fingerprint": engine_fingerprint(), "config": canonical_json(trial.to_dict()) if trial else None,
               **fields, "host": socket.gethostname(), "created": time.time(), "run_id": run_id}
        rec["checksum"] = records.digest([rec[f] for f in TRIAL_FIELDS])
        return rec

    def read_records(self, keys: Sequence[str]) -> dict[str, tuple[Outcome, str | None] | None]:
        """Outcome (failed ones too) and config JSON of each key, whatever version wrote it (for reports)."""
        found: dict[str, tuple[Outcome, str | None] | None] = dict.fromkeys(keys)

        def read() -> dict[str, tuple[Outcome, str | None] | None]:
            conn = self._db(create=False)
            if conn is None:
                return found
            for s in range(0, len(keys), CHUNK):
                part = list(dict.fromkeys(keys[s:s + CHUNK]))
                for row in conn.execute(f"SELECT {', '.join(TRIAL_FIELDS)}, checksum FROM trials WHERE key IN "
                                        f"({', '.join('?' * len(part))}) AND status != 'claimed'", part):
                    key, outcome = self._verified(row, any_version=True)
                    if key in found and outcome is not None:
                        config = row[TRIAL_FIELDS.index("config")]
                        found[key] = (outcome, config.decode() if isinstance(config, bytes) else None)
            return found

        return self._guarded(read, found)

    # ----- claims -----------------------------------------------------------------------------
    def claim(self, keys: Sequence[str]) -> Claims:
        """Claim the trials ``keys`` for this process before training them.

        A key is granted when no one holds it: it has no row, a failed or damaged one, or a claim
        whose lease ran out or whose owner's process is gone (a claim taken over). A key another
        live run holds is listed in ``waiting`` with its owner; a key already finished is in neither
        (read it with :meth:`get`).
        """
        keys = list(dict.fromkeys(keys))
        if not self.enabled or not keys:
            return Claims(set(keys))

        def claim() -> Claims:
            conn = self._db()
            out = Claims()
            now = time.time()
            me = self.owner
            with self._transaction(conn):
                for s in range(0, len(keys), CHUNK):
                    part = keys[s:s + CHUNK]
                    rows = {r[0].decode(): r[1:] for r in conn.execute(
                        "SELECT key, status, owner_host, owner_pid, owner_token, lease_expires FROM trials "
                        f"WHERE key IN ({', '.join('?' * len(part))})", part)}
                    grant = []
                    for key in part:
                        if key not in rows:
                            grant.append(key)
                            continue
                        status, host, pid, token, lease = rows[key]
                        if status == b"claimed":
                            owner = Owner(_text(host), pid if isinstance(pid, int) else -1, _text(token))
                            mine = token == me.token.encode()
                            expired = not isinstance(lease, float) or lease < now
                            if mine or expired or owner.alive() is False:
                                grant.append(key)
                            else:
                                out.waiting[key] = owner
                        elif status in (b"done", b"diverged"):
                            full = conn.execute(f"SELECT {', '.join(TRIAL_FIELDS)}, checksum FROM trials "
                                                "WHERE key = ?", (key,)).fetchone()
                            if self._verified(full)[1] is None:
                                grant.append(key)  # damaged or foreign: train it again
                        else:
                            grant.append(key)  # failed, or a status of no known kind
                    conn.executemany(
                        "INSERT INTO trials (key, status, schema, created, owner_host, owner_pid, owner_token, "
                        "lease_expires) VALUES (?, 'claimed', ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                        "status = 'claimed', checksum = NULL, owner_host = excluded.owner_host, "
                        "owner_pid = excluded.owner_pid, owner_token = excluded.owner_token, "
                        "lease_expires = excluded.lease_expires",
                        [(k, records.SCHEMA, now, me.host, me.pid, me.token, now + LEASE_SECONDS) for k in grant])
                    out.granted.update(grant)
            return out

        return self._guarded(claim, Claims(set(keys)))

    def renew(self) -> None:
        """Extend the lease of every claim this store holds."""
        def renew() -> None:
            conn = self._db(create=False)
            if conn is not None:
                conn.execute("UPDATE trials SET lease_expires = ? WHERE status = 'claimed' AND owner_token = ?",
                             (time.time() + LEASE_SECONDS, self.owner.token))

        self._guarded(renew, None)

    def release(self) -> None:
        """Drop every claim this store still holds (trials it did not finish), so no one waits for them."""
        def release() -> None:
            conn = self._db(create=False)
            if conn is not None:
                conn.execute("DELETE FROM trials WHERE status = 'claimed' AND owner_token = ?", (self.owner.token,))

        self._guarded(release, None)

    @contextlib.contextmanager
    def holding(self) -> Iterator[TrialStore]:
        """Renew this store's claims from a heartbeat while the block runs; release the rest at the end."""
        beat = Heartbeat(LEASE_SECONDS / 4, self.renew, name="atomlab-store-lease").start()
        try:
            yield self
        finally:
            beat.stop()
            self.release()

    # ----- runs -------------------------------------------------------------------------------
    def start_run(self, *, experiment: str, scale: str, seeds: int, config: dict[str, Any], trial_keys: list[str],
                  out_dir: Path | None, command: str = "") -> str | None:
        """Record a run that starts now; returns its id (None when the store is not in use)."""
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        try:
            config_text = records.dumps(config, "config")
        except records.UnstorableValue:
            config_text = None  # e.g. a function in a user's comparison: the run is listed but not rebuilt
        rec = {"id": run_id, "experiment": experiment, "scale": scale, "seeds": int(seeds), "config": config_text,
               "trial_keys": records.dumps(list(trial_keys)),
               "out_dir": str(Path(out_dir).resolve()) if out_dir is not None else None,
               "host": self.owner.host, "pid": self.owner.pid, "version": __version__,
               "fingerprint": engine_fingerprint(), "command": command, "started": time.time(),
               "status": "running", "finished": None, "verdict": None, "statistic": None, "trained": None,
               "reused": None, "failed": None, "provenance": None}

        def write() -> str:
            conn = self._db()
            rec["checksum"] = records.digest([rec[f] for f in RUN_FIELDS])
            cols = (*RUN_FIELDS, "checksum")
            with self._transaction(conn):
                conn.execute(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             tuple(rec[c] for c in cols))
            return run_id

        return self._guarded(write, None)

    def finish_run(self, run_id: str | None, *, status: str, verdict: str | None = None, statistic: str | None = None,
                   trained: int | None = None, reused: int | None = None, failed: int | None = None,
                   provenance: dict[str, Any] | None = None, seeds: int | None = None,
                   config: dict[str, Any] | None = None, trial_keys: list[str] | None = None) -> None:
        """Record how run ``run_id`` ended (``finished`` or ``failed``).

        ``seeds``, ``config`` and ``trial_keys`` replace those recorded at the start, for a run that grew
        (``--seeds auto`` adds seeds in rounds).
        """
        if run_id is None:
            return
        try:
            prov = records.dumps(provenance, "provenance") if provenance is not None else None
        except records.UnstorableValue:
            prov = None
        grown: dict[str, Any] = {}
        if seeds is not None:
            grown["seeds"] = int(seeds)
        if trial_keys is not None:
            grown["trial_keys"] = records.dumps(list(trial_keys))
        if config is not None:
            try:
                grown["config"] = records.dumps(config, "config")
            except records.UnstorableValue:
                grown["config"] = None

        def write() -> None:
            conn = self._db()
            with self._transaction(conn):
                row = conn.execute(f"SELECT {', '.join(RUN_FIELDS)}, checksum FROM runs WHERE id = ?",
                                   (run_id,)).fetchone()
                if row is None:
                    return
                rec = {k: v.decode() if isinstance(v, bytes) else v for k, v in zip((*RUN_FIELDS, "checksum"), row)}
                rec.update(status=status, finished=time.time(), verdict=verdict, statistic=statistic,
                           trained=trained, reused=reused, failed=failed, provenance=prov, **grown)
                rec["checksum"] = records.digest([rec[f] for f in RUN_FIELDS])
                conn.execute(f"UPDATE runs SET {', '.join(f'{c} = ?' for c in (*RUN_FIELDS, 'checksum'))} "
                             "WHERE id = ?", (*(rec[c] for c in (*RUN_FIELDS, "checksum")), run_id))

        self._guarded(write, None)

    def runs(self, *, experiment: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded runs, newest first: one dict each (a damaged record has ``status == "damaged"``)."""
        def read() -> list[dict[str, Any]]:
            conn = self._db(create=False)
            if conn is None:
                return []
            sql = f"SELECT {', '.join(RUN_FIELDS)}, checksum FROM runs"
            args: list[Any] = []
            if experiment:
                sql += " WHERE experiment = ?"
                args.append(experiment)
            sql += " ORDER BY started DESC, id DESC"
            if limit:
                sql += f" LIMIT {int(limit)}"
            return [self._run_dict(row) for row in conn.execute(sql, args)]

        return self._guarded(read, [])

    def find_run(self, ref: str) -> dict[str, Any] | None:
        """The run whose id is (or uniquely starts with) ``ref``, else the newest whose output folder is ``ref``."""
        runs = self.runs()
        exact = [r for r in runs if r["id"] == ref]
        if exact:
            return exact[0]
        prefixed = [r for r in runs if r["id"] and r["id"].startswith(ref)]
        if len(prefixed) == 1:
            return prefixed[0]
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            where = str(Path(ref).expanduser().resolve())
            for r in runs:  # newest first
                if r["out_dir"] == where and r["status"] != "damaged":
                    return r
        return None

    def _run_dict(self, row: Sequence[Any]) -> dict[str, Any]:
        values = dict(zip((*RUN_FIELDS, "checksum"), row))
        try:
            self._check(values, RUN_FIELDS, any_version=True)
            d = {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in values.items() if k != "checksum"}
            d["config"] = records.loads(d["config"]) if d["config"] is not None else None
            d["trial_keys"] = records.loads(d["trial_keys"])
            d["provenance"] = records.loads(d["provenance"]) if d["provenance"] is not None else None
            if d["status"] == "running" and Owner(d["host"], d["pid"] or -1).alive() is False:
                d["status"] = "killed"  # its process is gone without saying how it ended
            return d
        except (records.RecordError, UnicodeDecodeError, TypeError, ValueError, KeyError) as exc:
            ident = values.get("id")
            return {**dict.fromkeys(RUN_FIELDS), "id": ident.decode("ascii", "replace")
                    if isinstance(ident, bytes) else None, "status": "damaged", "error": str(exc)}

    # ----- maintenance ------------------------------------------------------------------------
    def gc(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Remove what this atomlab can never serve: records of other versions or training code,
        damaged records, claims whose owner is gone, the runs of other versions, and the pickle
        files of the cache the store replaced (deleted unopened).

        Returns a summary: counts removed (or that would be, with ``dry_run``) and kept, and the
        file's size before and after.
        """
        pickles = legacy_pickles(self.root)
        legacy = {"legacy_pickles": len(pickles), "legacy_pickle_bytes": sum(p.stat().st_size for p in pickles)}
        if not dry_run:
            for p in pickles:  # removed, never opened
                p.unlink(missing_ok=True)
                with contextlib.suppress(OSError):  # its folder, once empty
                    p.parent.rmdir()
            with contextlib.suppress(OSError):
                (self.root / "trials").rmdir()
        if not self.path.is_file():
            return {"store": str(self.path), "dry_run": dry_run, "trials_kept": 0, "trials_removed": {},
                    "runs_kept": 0, "runs_removed": 0, "bytes_before": 0, "bytes_after": 0, **legacy}

        def collect() -> dict[str, Any]:
            conn = self._db()
            now, version, fp = time.time(), __version__.encode(), engine_fingerprint().encode()
            drop: dict[str, list[str]] = {"other_version": [], "damaged": [], "stale_claims": []}
            kept = 0
            for row in conn.execute("SELECT key, status, version, fingerprint, owner_host, owner_pid, "
                                    "lease_expires FROM trials"):
                key, status, ver, fpr, host, pid, lease = row
                key = key.decode("ascii", "replace")
                if status == b"claimed":
                    gone = Owner(_text(host), pid if isinstance(pid, int) else -1).alive() is False
                    if gone or not isinstance(lease, float) or lease < now:
                        drop["stale_claims"].append(key)
                    else:
                        kept += 1
                elif ver != version or fpr != fp:
                    drop["other_version"].append(key)
                else:
                    full = conn.execute(f"SELECT {', '.join(TRIAL_FIELDS)}, checksum FROM trials WHERE key = ?",
                                        (key,)).fetchone()
                    if self._verified(full)[1] is None:
                        drop["damaged"].append(key)
                    else:
                        kept += 1
            runs = conn.execute("SELECT id, version, fingerprint FROM runs").fetchall()
            old_runs = [_text(r[0]) for r in runs if r[1] != version or r[2] != fp]
            return {"drop": drop, "kept": kept, "old_runs": old_runs, "runs": len(runs)}

        found = self._guarded(collect, None)
        if found is None:
            raise OSError(f"the trial store {self.path} cannot be read ({self.problem})")
        before = _size(self.path)
        if not dry_run:
            def delete() -> None:
                conn = self._db()
                with self._transaction(conn):
                    for keys in found["drop"].values():
                        conn.executemany("DELETE FROM trials WHERE key = ?", [(k,) for k in keys])
                    conn.executemany("DELETE FROM runs WHERE id = ?", [(r,) for r in found["old_runs"]])
                with contextlib.suppress(sqlite3.OperationalError):  # busy: another run uses it; space is reused
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("VACUUM")

            self._guarded(delete, None)
            if self.problem is not None:
                raise OSError(f"the trial store {self.path} cannot be written ({self.problem})")
        return {"store": str(self.path), "dry_run": dry_run, "trials_kept": found["kept"],
                "trials_removed": {k: len(v) for k, v in found["drop"].items()},
                "runs_kept": found["runs"] - len(found["old_runs"]), "runs_removed": len(found["old_runs"]),
                "bytes_before": before, "bytes_after": before if dry_run else _size(self.path), **legacy}


def legacy_pickles(root: Path) -> list[Path]:
    """The files of the pickle cache that the store replaced (``ROOT/ab/KEY.pkl``, ``ROOT/trials/ab/KEY.pkl``).

    Only names of that exact form are listed (a 16-hex-digit key in the folder of its first two
    digits); they are never opened.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "ab").mkdir(); (root / "ab" / "ab12cd34ef567890.pkl").write_bytes(b"")
    0
    >>> [p.name for p in legacy_pickles(root)]
    ['ab12cd34ef567890.pkl']
    """
    found = []
    for base in (root, root / "trials"):
        for path in base.glob("??/*.pkl"):
            key = path.stem
            if len(key) == 16 and all(c in "0123456789abcdef" for c in key) and path.parent.name == key[:2]:
                found.append(path)
    return sorted(found)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


