"""Start a local ComfyUI for one run: free port, per-run folders, readiness, import-error scan, clean stop.

The command line is ``python main.py --listen 127.0.0.1 --port <free> --output-directory <run>/comfy-out
--temp-directory <run>/comfy-temp --disable-auto-launch`` plus a profile's flags. Readiness is
``GET /system_stats`` answering 200 while the process is alive (no fixed short timeout: a first start
that builds caches can take minutes, see runpod-workers/worker-comfyui#197); the overall deadline is
configurable. If the process exits first, its log tail is in the error.

Repeatable renders (``REPEATABLE_FLAGS``, always added): ``--deterministic`` (PyTorch's deterministic
algorithms, ``torch.use_deterministic_algorithms(True, warn_only=True)`` in comfy/model_management.py),
``--disable-metadata`` (no prompt JSON inside saved files, so identical pixels give identical bytes)
and ``--cache-none`` (no node outputs reused between prompts), and never ``--fast`` (untested
optimisations that may change pixels). All four exist in ComfyUI 0.3.64 and 0.8.0 (comfy/cli_args.py:
``--deterministic`` lines 140 / 155, ``--fast`` 148 / 163, ``--disable-metadata`` 157 / 174,
``--cache-none`` 107 / 114). ``--cache-none`` is left out when the caller passes another ``--cache-*``
flag (ComfyUI makes them mutually exclusive); ``--fast`` from the caller is kept but reported.

Low-VRAM flags (``PROFILE_FLAGS["rtx4060-8gb"]``): ``--novram``. Comfy-Org/ComfyUI#12047 measured the
LTX-2 19B fp8 template OOMing with ``--normalvram --reserve-vram 0`` even on 24 GB, while ``--novram``
passed with a 6.74 GB peak, under an 8 GB card's budget (slower: 211 s vs 34 s). ``--lowvram`` still
keeps whole models resident where it can, which is where LTX-2's Gemma 3 12B text encoder overflows
8 GB (Lightricks/ComfyUI-LTXVideo#303). Extra flags can always be added by the caller.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comfyreel.runner.errors import ServerUnavailable

PROFILE_FLAGS: dict[str, tuple[str, ...]] = {
    "rtx4060-8gb": ("--novram",),
    "default": (),
}
REPEATABLE_FLAGS: tuple[str, ...] = ("--deterministic", "--disable-metadata", "--cache-none")
IMPORT_ERROR_PATTERNS = (re.compile(r"IMPORT FAILED"), re.compile(r"Cannot import "))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LaunchedServer:
    """A running ComfyUI child process."""

    process: subprocess.Popen[bytes]
    url: str
    flags: list[str]
    log_path: Path
    import_errors: list[str] = field(default_factory=list)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def scan_import_errors(self) -> list[str]:
        """Lines of the log naming custom nodes that failed to import."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        self.import_errors = [
            line.strip() for line in text.splitlines() if any(p.search(line) for p in IMPORT_ERROR_PATTERNS)
        ]
        return self.import_errors

    def stop(self, grace_s: float = 10.0) -> int | None:
        """terminate -> wait -> kill; returns the exit code."""
        proc = self.process
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if os.name == "nt":
                    proc.terminate()
                else:
                    proc.send_signal(signal.SIGINT)  # ComfyUI stops cleanly on KeyboardInterrupt
            try:
                proc.wait(grace_s / 2)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(grace_s / 2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        return proc.returncode


def command(
    comfyui_dir: Path,
    port: int,
    run_dir: Path,
    *,
    profile: str | None = None,
    extra: Sequence[str] = (),
    python: str | None = None,
) -> list[str]:
    flags = [
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--output-directory",
        str(run_dir / "comfy-out"),
        "--temp-directory",
        str(run_dir / "comfy-temp"),
        "--disable-auto-launch",
        *(f for f in REPEATABLE_FLAGS if not (f.startswith("--cache-") and _sets_cache(extra))),
        *PROFILE_FLAGS.get(profile or "default", ()),
        *extra,
    ]
    return [python or sys.executable, str(comfyui_dir / "main.py"), *flags]


def _sets_cache(flags: Sequence[str]) -> bool:
    return any(f.startswith("--cache-") for f in flags)


def unrepeatable(flags: Sequence[str]) -> list[str]:
    """Why renders of a server started with *flags* may not repeat: one phrase per flag, naming it."""
    out = []
    if "--deterministic" not in flags:
        out.append("without --deterministic (PyTorch may pick non-deterministic kernels)")
    if any(f == "--fast" or f.startswith("--fast=") for f in flags):
        out.append("with --fast (untested optimisations that change pixels)")
    if "--disable-metadata" not in flags:
        out.append("without --disable-metadata (saved files embed the prompt, so their bytes differ)")
    return out


def launch(
    comfyui_dir: str | Path,
    run_dir: str | Path,
    *,
    profile: str | None = None,
    extra_flags: Sequence[str] = (),
    deadline_s: float = 600.0,
    python: str | None = None,
    poll_s: float = 0.25,
) -> LaunchedServer:
    """Start ComfyUI and wait until it answers ``/system_stats``; raise ServerUnavailable otherwise."""
    import requests

    comfyui_dir, run_dir = Path(comfyui_dir), Path(run_dir)
    if not (comfyui_dir / "main.py").is_file():
        raise ServerUnavailable(
            f"{comfyui_dir} has no main.py", hint="--launch takes the ComfyUI checkout folder"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = command(comfyui_dir, port, run_dir, profile=profile, extra=extra_flags, python=python)
    log_path = run_dir / "comfyui.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, cwd=comfyui_dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = LaunchedServer(proc, f"http://127.0.0.1:{port}", argv[2:], log_path)
    give_up = time.monotonic() + deadline_s
    session = requests.Session()
    session.trust_env = False
    try:
        while True:
            if proc.poll() is not None:
                raise ServerUnavailable(
                    f"ComfyUI exited with code {proc.returncode} before it was ready",
                    hint=f"its log ({log_path}) ends with:\n{server.log_tail()}",
                )
            try:
                if session.get(server.url + "/system_stats", timeout=2).status_code == 200:
                    break
            except requests.exceptions.RequestException:
                pass
            if time.monotonic() >= give_up:
                server.stop()
                raise ServerUnavailable(
                    f"ComfyUI did not answer /system_stats within {deadline_s:g} s",
                    hint=f"raise the launch deadline; log: {log_path}",
                )
            time.sleep(poll_s)
    except BaseException:
        server.stop()
        raise
    finally:
        session.close()
    server.scan_import_errors()
    return server


@contextlib.contextmanager
def launched(comfyui_dir: str | Path, run_dir: str | Path, **kwargs: object) -> Iterator[LaunchedServer]:
    server = launch(comfyui_dir, run_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
