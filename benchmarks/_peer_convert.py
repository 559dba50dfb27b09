"""Convert UI workflows with comfy-cli's own converter; run by ``peers_import.py`` in the peers' venv.

Usage: ``python _peer_convert.py OBJECT_INFO OUT_DIR UI.json...`` writes ``OUT_DIR/<name>`` (API
JSON) per workflow and prints one JSON line ``{name: "ok" | "error: ..."}``. Stdlib plus comfy-cli,
which is only called here, never copied.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    raw = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out_dir = Path(argv[1])
    status = {}
    try:
        from comfy_cli.workflow_to_api import convert_ui_to_api
    except ImportError as exc:
        sys.stdout.write(json.dumps({"missing": str(exc)}) + "\n")
        return
    for name in argv[2:]:
        path = Path(name)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                api = convert_ui_to_api(json.loads(path.read_text(encoding="utf-8")), raw)
            (out_dir / path.name).write_text(json.dumps(api), encoding="utf-8")
            status[path.name] = "ok"
        except Exception as exc:  # a peer's failure is a result here, not a crash
            status[path.name] = f"error: {type(exc).__name__}: {exc}"
    sys.stdout.write(json.dumps(status) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
