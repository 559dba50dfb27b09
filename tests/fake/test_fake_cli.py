"""`comfyreel fake-server`: prints its URL, serves, and exits 0 on Ctrl-C without a traceback."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys

import pytest
import requests
from comfyreel.cli import main


def test_unknown_version_is_a_usage_error(capsys):
    assert main(["fake-server", "--version", "9.9"]) == 2
    assert "0.3.64" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_serves_until_ctrl_c(tmp_path):
    exe = shutil.which("comfyreel")
    command = [exe] if exe else [sys.executable, "-c", "from comfyreel.cli import run; run()"]
    proc = subprocess.Popen(
        [*command, "fake-server", "--port", "0", "--output-dir", str(tmp_path / "out"), "--version", "0.8.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.split(" serving at ")[1].split()[0]
        assert requests.get(f"{url}/system_stats", timeout=5).json()["system"]["comfyui_version"] == "0.8.0"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_busy_port_is_one_clean_error(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-c", "from comfyreel.cli import run; run()", "fake-server", f"--port={port}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "pick another --port" in proc.stderr
    assert "Traceback" not in proc.stderr and "Task was destroyed" not in proc.stderr
