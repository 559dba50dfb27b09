"""Shared machinery of the scenarios: the per-scenario tally, the hard per-run deadline, fast options.

A scenario calls :func:`bounded` for every run: the run executes in a daemon thread and is counted
"hung" when it has not returned by the deadline (the suite moves on; it never waits forever).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: Runner options for the fake server: short polls so a CI-sized suite stays fast. Scenarios whose
#: claim is about the runner's own defaults (e.g. lost detection) do not use these.
FAST: dict[str, float] = {
    "poll_s": 0.2,
    "fast_poll_s": 0.05,
    "lost_after_s": 1.0,
    "finish_grace_s": 15.0,
    "silence_timeout_s": 20.0,
    "timeout_s": 40.0,
}
MAX_EXAMPLES = 5  # failure examples kept per scenario


class Hung(Exception):
    """A run did not return before its hard deadline."""


@dataclass
class Tally:
    """The counts of one scenario (one table row)."""

    name: str
    metric: str  # label of the scenario's own metric, e.g. "false no-outputs"
    target: str  # human text of the target, e.g. "100% passed, 0 lost, 0 hung, metric 0"
    runs: int = 0
    passed: int = 0
    lost: int = 0  # runs that should have delivered outputs (or a clear "lost") and silently did not
    hung: int = 0  # runs still going at their hard deadline
    value: float = 0  # the scenario's metric
    limit: float = 0  # the metric must be <= limit
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        if len(self.failures) < MAX_EXAMPLES:
            self.failures.append(text)

    @property
    def ok(self) -> bool:
        return (
            self.runs > 0
            and self.passed == self.runs
            and self.lost == 0
            and self.hung == 0
            and self.value <= self.limit
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "runs": self.runs,
            "passed": self.passed,
            "lost": self.lost,
            "hung": self.hung,
            "metric": self.metric,
            "value": self.value,
            "limit": self.limit,
            "target": self.target,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "failures": list(self.failures),
        }


def bounded(fn: Callable[[], T], deadline_s: float) -> T:
    """Call *fn* in a daemon thread; return its value, re-raise its exception, or raise Hung."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="reliability-run", daemon=True)
    thread.start()
    thread.join(deadline_s)
    if thread.is_alive():
        raise Hung(f"still running after {deadline_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass
class Attempt:
    """What one counted run gave back: its value, or an exception the scenario expected."""

    value: Any = None
    error: BaseException | None = None


def attempt(
    tally: Tally,
    how: str,
    fn: Callable[[], Any],
    deadline_s: float,
    *,
    expected: tuple[type[BaseException], ...] = (),
    lost: tuple[type[BaseException], ...] = (),
    on_hung: Callable[[], object] | None = None,
) -> Attempt | None:
    """Count one run of *fn* under its hard deadline (:func:`bounded`).

    A hang counts as ``hung``, an exception in *lost* as ``lost`` (outputs went unreported), any
    other unexpected exception as a plain failure; each leaves an example and returns None, so the
    scenario moves on. An exception in *expected* comes back in :attr:`Attempt.error` to be judged.
    """
    tally.runs += 1
    try:
        return Attempt(value=bounded(fn, deadline_s))
    except Hung as exc:
        tally.hung += 1
        tally.fail(f"{how}: {exc}")
        if on_hung is not None:
            on_hung()
    except expected as exc:
        return Attempt(error=exc)
    except lost as exc:
        tally.lost += 1
        tally.fail(f"{how}: {type(exc).__name__}: {getattr(exc, 'message', exc)}")
    except Exception as exc:
        tally.fail(f"{how}: {type(exc).__name__}: {exc}")
    return None


def rng_for(name: str, seed: int) -> random.Random:
    """A generator per scenario: the same seed replays the same faults."""
    return random.Random(seed * 1_000_003 + zlib.crc32(name.encode()))


def sha256_path(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def server_files(fake: Any, prompt_id: str) -> dict[str, list[str]]:
    """node_id -> sha256 of each file the fake wrote for *prompt_id* (from its own history)."""
    entry = fake.history(prompt_id).get(prompt_id) or {}
    result: dict[str, list[str]] = {}
    for node_id, ui in (entry.get("outputs") or {}).items():
        for key in ("images", "videos", "gifs", "audio"):
            for item in ui.get(key) or []:
                if not isinstance(item, dict) or "filename" not in item:
                    continue
                base = {"output": fake.output_dir}.get(item.get("type", "output"))
                if base is None:
                    continue
                path = Path(base) / (item.get("subfolder") or "") / item["filename"]
                result.setdefault(str(node_id), []).append(sha256_path(path) if path.is_file() else "?")
    return result


def run_files(result: Any) -> dict[str, list[str]]:
    """node_id -> sha256 of each file a RunResult downloaded, re-hashed from disk."""
    files: dict[str, list[str]] = {}
    for f in sorted(result.outputs, key=lambda f: (f.node_id, f.index)):
        path = Path(result.run_dir) / f.path
        digest = sha256_path(path) if path.is_file() else "missing"
        if digest != f.sha256:
            digest = f"mismatch:{digest}"
        files.setdefault(f.node_id, []).append(digest)
    return files


def wait_for(check: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    """Poll *check* until true or *timeout* seconds passed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(step)
    return check()
