"""Options of one render and the clock its deadlines run on."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from comfyreel.runner import completion as c


def run_clock() -> float:
    """Seconds on a clock that keeps counting while the machine sleeps (CLOCK_BOOTTIME on Linux).

    ``time.monotonic`` stops during a laptop suspend, so a deadline on it can stretch without bound
    (comfy-cli's ``run --wait`` hung 40+ minutes after a sleep: Comfy-Org/comfy-cli#877).
    """
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime)
    return time.monotonic()


@dataclass
class RunOptions:
    timeout_s: float = 3600.0  # total deadline from submit
    silence_timeout_s: float = 600.0  # no event and no change in polls
    allow_partial: bool = False  # accept HTTP 200 with node_errors (only the valid outputs run)
    bust_cache: bool = False  # force re-execution of every node (see bust_cache())
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Authorization": "Bearer ..."}
    validate_online: bool = True  # validate against the live /object_info before submitting
    launch_flags: list[str] | None = None  # recorded in the manifest when comfyreel launched ComfyUI
    poll_s: float = 2.0
    fast_poll_s: float = 0.5
    lost_after_s: float = 3.0
    finish_grace_s: float = 30.0
    unreachable_s: float = 30.0  # no connection to the server this long -> ServerUnavailable
    read_timeout_s: float = 30.0  # one answer's wait, outside polls (polls wait up to the deadline)
    run_name: str | None = None  # run folder prefix (default: recipe name or graph file stem)
    prompt_id: str | None = None  # our prompt_id (default: a fresh uuid4); batch derives it from the job
    run_dir: Path | None = None  # this exact run folder (must not exist) instead of NAME-STAMP-ID
    attach: bool = False  # follow prompt_id already on the server (queued or done) instead of submitting

    def timeouts(self) -> c.Timeouts:
        return c.Timeouts(
            total_s=self.timeout_s,
            silence_s=self.silence_timeout_s,
            poll_s=self.poll_s,
            fast_poll_s=self.fast_poll_s,
            lost_after_s=self.lost_after_s,
            finish_grace_s=min(self.finish_grace_s, self.timeout_s),
            unreachable_s=self.unreachable_s,
        )
