"""Fixtures of the atlas tests: a two-experiment atlas built once, and headless Chromium driven over DevTools.

The browser is Debian's ``chromium`` (``scripts/install-chromium`` installs it when missing; tests that need it
skip with the reason when it cannot be had). It is driven through the Chrome DevTools protocol over
``--remote-debugging-pipe`` (file descriptors 3 and 4, NUL-separated JSON), so no client library and no
network port are needed: the standard library is enough.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The two smoke-scale experiments the atlas tests render.
ATLAS_EXPERIMENTS = ("universal-approximation", "activation-surfaces")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
)


def find_chromium() -> str | None:
    """Path of a Chromium executable (``$ATOMLAB_CHROMIUM`` first), or None."""
    for exe in (os.environ.get("ATOMLAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if exe and shutil.which(exe):
            return shutil.which(exe)
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable, installed with scripts/install-chromium when missing (else skip)."""
    exe = find_chromium()
    if exe is None:
        try:
            proc = subprocess.run(["bash", str(ROOT / "scripts" / "install-chromium")], capture_output=True,
                                  text=True, timeout=600)
            why = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = f"{type(exc).__name__}: {exc}"
        exe = find_chromium()
        if exe is None:
            pytest.skip(f"headless Chromium is not installed and scripts/install-chromium could not install it "
                        f"({why})")
    return exe


class CDPError(RuntimeError):
    """Chromium answered a DevTools command with an error, or stopped answering."""


class Browser:
    """Headless Chromium and one page, driven with the DevTools protocol over a pipe.

    Parameters
    ----------
    exe : str
        The Chromium executable.
    workdir : Path
        Scratch folder for the fresh profile and the browser's log.
    timeout : float
        Seconds to wait for any one answer.
    """

    def __init__(self, exe: str, workdir: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        workdir.mkdir(parents=True, exist_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir))
        self.log_path = workdir / "chromium.log"
        to_browser_r, self._w = os.pipe()
        self._r, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # runs in the child: Chromium reads commands on fd 3, writes on fd 4
            # Copy both ends above 4 first, so that neither copy can be one of the targets.
            a = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)  # dup2 makes inheritable copies, which survive the exec
            os.dup2(b, 4)

        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False, preexec_fn=wire_pipes,
                start_new_session=True)  # its own process group: close() can end the browser and its children
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=self.session)

    # -- protocol ------------------------------------------------------------------------------------------
    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._r], [], [], max(0.0, left))
            if not ready:
                raise CDPError(f"Chromium did not answer within {self.timeout:.0f} s; {self._log_tail()}")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise CDPError(f"Chromium closed the pipe (exit status {self.proc.poll()}); {self._log_tail()}")
            self._buf += chunk
        message, self._buf = self._buf.split(b"\0", 1)
        return json.loads(message)

    def _log_tail(self, chars: int = 1500) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            text = ""
        return f"end of {self.log_path}:\n{text[-chars:]}"

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> dict:
        """Send one command and return its result (events that arrive meanwhile go to ``events``)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise CDPError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the page's next event called ``method``."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == self.session:
                    return self.events.pop(i)
            self.events.append(self._receive(deadline))

    def page(self, method: str, params: dict[str, Any] | None = None) -> dict:
        """A command to the page."""
        return self.call(method, params, session=self.session)

    # -- what the tests use --------------------------------------------------------------------------------
    def load(self, path: Path, *, width: int, height: int, mobile: bool) -> None:
        """Open the local file ``path`` in a ``width`` x ``height`` viewport and wait for its load event."""
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.events.clear()
        self.page("Page.navigate", {"url": Path(path).resolve().as_uri()})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises are awaited); raises on exceptions."""
        answer = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True})
        if "exceptionDetails" in answer:
            raise CDPError(f"JavaScript failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads the page reported since it was opened."""
        out = []
        for e in self.events:
            if e.get("sessionId") != self.session:
                continue
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif e.get("method") == "Runtime.exceptionThrown":
                out.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif e.get("method") == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log ({p['entry'].get('source')}): {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif e.get("method") == "Network.loadingFailed":
                out.append(f"failed load: {p.get('errorText')} ({p.get('type')})")
        return out

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for since it was opened."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]

    def screenshot(self, path: Path, *, max_height: int = 9000) -> Path:
        """Save a PNG of the whole page (up to ``max_height`` CSS pixels tall)."""
        import base64

        size = self.page("Page.getLayoutMetrics")["cssContentSize"]
        width = self.evaluate("window.innerWidth")
        clip = {"x": 0, "y": 0, "width": width, "height": min(max_height, int(size["height"]) + 1), "scale": 1}
        shot = self.page("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        """Close the browser (the process this object started, and only it)."""
        try:
            self.call("Browser.close")
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this object started, nothing else
            self.proc.wait(timeout=10)
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """One headless Chromium for a test module."""
    b = Browser(chromium, tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


@pytest.fixture(scope="session")
def atlas_run(tmp_path_factory) -> Path:
    """A run directory with two smoke-scale experiments and its ``index.html`` (built once per session).

    The trial cache is the session's isolated one (the same folder the root conftest points
    ``ATOMLAB_CACHE`` at), so later runs of the same trials in other tests are cache hits.
    """
    from atomlab.cli import main
    from atomlab.lab.atlas import write_atlas

    root = tmp_path_factory.mktemp("atlas")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATOMLAB_CACHE", str(tmp_path_factory.getbasetemp() / "trial-cache"))
        for name in ATLAS_EXPERIMENTS:
            assert main(["run", name, "--scale", "smoke", "--quiet", "--out", str(root / name)]) == 0
    write_atlas(root)
    return root
