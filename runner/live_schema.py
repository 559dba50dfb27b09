"""The server's live ``/object_info`` for one run: per node before the submit, in full during the render.

Issue 7: a run used to GET and parse the whole ``/object_info`` (2+ MB; 20 ms on the fake,
hundreds of ms on a real server with many custom nodes) before submitting, even without online
validation. Now:

- online validation reads only the graph's own node classes, live, from ``GET /object_info/{class}``
  (:func:`fetch_nodes`; ComfyUI answers ``{}`` for an unknown class, which validation reports);
- the full ``/object_info``, which the manifest records (sha256, custom node packs), is fetched by
  :class:`LiveSchema` on a thread of its own started right after ``POST /prompt``, so it overlaps
  the render instead of delaying it; it is also the fallback list of output nodes.

The thread has its own HTTP session (a ``requests.Session`` is not shared across threads). The
schema is parsed through a span index (the shipped one when the server runs the pinned ComfyUI
version, else one kept in the user cache by sha256), so only the graph's own nodes are parsed;
custom node packs are found by a byte scan, not by parsing every node.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from comfyreel.compiler.errors import ComfyreelError
from comfyreel.runner import http
from comfyreel.runner.errors import ProtocolError

# "python_module": "custom_nodes.<pack>[.<module>...]" as ComfyUI writes it for every node class
_CUSTOM_MODULE = re.compile(rb'"python_module"\s*:\s*"(custom_nodes\.[^".\\]*)')


def custom_node_packs(data: bytes) -> list[str]:
    """``custom_nodes.<pack>`` of every node class a custom node pack registered (sorted, unique)."""
    return sorted({m.decode("utf-8", "replace") for m in _CUSTOM_MODULE.findall(data)})


def fetch_nodes(server: http.Server, class_types: Iterable[Any]) -> Any:
    """An ObjectInfo of just these node classes, read live one by one (``GET /object_info/{class}``).

    None when the server has no per-class route (HTTP 404): the caller then reads the full schema.
    """
    from comfyreel.compiler.errors import ObjectInfoError
    from comfyreel.compiler.object_info import ObjectInfo

    entries: dict[str, Any] = {}
    for name in sorted({c for c in class_types if isinstance(c, str) and c}):
        what = f"GET /object_info/{name}"
        with http.translating(server, what):
            resp = server.session.get(
                f"{server.base}/object_info/{quote(name, safe='')}", timeout=server.timeout
            )
            if resp.status_code == 404:
                return None
            http.check_status(server, resp, what)
            body = resp.json()
        if not isinstance(body, dict):
            raise ProtocolError(f"{what} is not a JSON object", url=server.url)
        if name in body:
            entries[name] = body[name]
    source = f"{server.url}/object_info"
    try:
        return ObjectInfo.from_data(entries, source=source, live=True)
    except ObjectInfoError as exc:
        raise ProtocolError(exc.message, url=source, hint="is this URL a ComfyUI server?") from None


class LiveSchema:
    """One background ``GET /object_info``; :meth:`wait` returns the parsed schema or raises its error."""

    def __init__(self, server_url: str, headers: dict[str, str] | None) -> None:
        self.server_url, self.headers = server_url, headers
        self.schema: Any = None  # ObjectInfo once fetched and parsed
        self.sha256: str | None = None
        self.source: str | None = None
        self.custom_nodes: list[str] = []
        self.error: ComfyreelError | None = None
        self._thread = threading.Thread(target=self._fetch, name="comfyreel-object-info", daemon=True)

    def start(self) -> LiveSchema:
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> Any:
        """The live ObjectInfo (None if not there within *timeout*); raises the fetch's error."""
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.schema

    def _fetch(self) -> None:
        server = None
        try:
            server = http.Server(self.server_url, headers=self.headers)
            self.source = f"{server.url}/object_info"
            data = http.object_info_bytes(server)
            self.schema = _parse(data, self.source)
            self.sha256 = self.schema.sha256
            self.custom_nodes = custom_node_packs(data)
        except ComfyreelError as exc:
            self.error = exc
        except Exception as exc:  # never let a thread die silently: the session reports it
            self.error = ProtocolError(f"GET /object_info: {type(exc).__name__}: {exc}")
        finally:
            if server is not None:
                server.close()


def _parse(data: bytes, source: str) -> Any:
    from pathlib import Path

    from comfyreel.compiler import object_info as oi
    from comfyreel.compiler.errors import ObjectInfoError
    from comfyreel.compiler.schema_index import index_path_beside

    pinned_index = index_path_beside(Path(oi.__file__).with_name("data") / oi.PINNED_RESOURCE)
    try:
        return oi.ObjectInfo.from_bytes(data, source=source, live=True, index=pinned_index, cache=True)
    except ObjectInfoError as exc:
        raise ProtocolError(exc.message, url=source, hint="is this URL a ComfyUI server?") from None
