"""ComfyUI's HTTP endpoints, one function each, on a ``requests.Session``.

This is the only module that catches ``requests`` exceptions: :func:`translating` maps every one of
them to :class:`ServerUnavailable` (cannot reach / no answer) or :class:`ProtocolError` (an answer we
cannot use). Error messages carry :func:`public_url` only, never credentials.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from comfyreel.runner import protocol as p
from comfyreel.runner.errors import PromptRejected, ProtocolError, RunError, ServerUnavailable
from comfyreel.runner.manifest import public_url

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
Timeout = float | tuple[float, float]
SCOPED_INTERRUPT_SINCE = (0, 3, 57)  # /interrupt honours {"prompt_id"} from here on (Comfy-Org/ComfyUI#9607)


class Server:
    """A base URL plus a session carrying the auth header / basic auth. ``url`` is credential-free."""

    def __init__(
        self, url: str, *, headers: dict[str, str] | None = None, timeout: Timeout = DEFAULT_TIMEOUT
    ):
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUnavailable(
                f"not an http(s) server URL: {public_url(url)!r}",
                url=public_url(url),
                hint="pass e.g. --server http://127.0.0.1:8188",
            )
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self.base = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self.url = public_url(self.base)
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback traffic through a proxy from the environment
        if parts.username is not None:
            self.session.auth = (parts.username, parts.password or "")
        self.headers = dict(headers or {})
        self.session.headers.update(self.headers)
        self.timeout = timeout
        # Set by the run once known: the run's total deadline on ``clock`` (every request's read
        # timeout is cut to it), and whether /interrupt can be scoped to one prompt (None: unknown).
        self.deadline: float | None = None
        self.clock: Any = None
        self.interrupt_scoped: bool | None = None

    def request_timeout(self, read_s: float | None = None) -> Timeout:
        """(connect, read) for the next request: the read wait never outlasts the run's deadline."""
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout, self.timeout)
        read = read if read_s is None else read_s
        if self.deadline is not None and self.clock is not None:
            left = self.deadline - self.clock()
            # past the deadline a request still gets a second: removing our prompt must be possible
            connect, read = min(connect, max(left, 1.0)), min(read, max(left, 1.0))
        return (connect, read)

    def auth_headers(self) -> dict[str, str]:
        """Headers the websocket handshake needs too (custom headers and basic auth)."""
        headers = dict(self.headers)
        if self.session.auth is not None:
            prepared = requests.Request("GET", self.base, auth=self.session.auth).prepare()
            headers["Authorization"] = prepared.headers["Authorization"]
        return headers

    def close(self) -> None:
        self.session.close()


@contextlib.contextmanager
def translating(server: Server, what: str) -> Iterator[None]:
    """Map every ``requests`` exception raised inside to a RunError naming *what* and the server."""
    try:
        yield
    except RunError:
        raise
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise ServerUnavailable(
            f"{what}: cannot reach the server ({type(exc).__name__})",
            url=server.url,
            hint="is ComfyUI running at this URL? (start it, or use --launch)",
            details={
                "maybe_sent": not isinstance(exc, (requests.exceptions.ConnectTimeout,))
                and "NewConnectionError" not in repr(exc),
                # connected, but the answer is slow: the server is busy, not gone
                "slow": isinstance(exc, requests.exceptions.ReadTimeout),
            },
        ) from None
    except (
        requests.exceptions.RequestException
    ) as exc:  # invalid URL, too many redirects, chunked encoding...
        raise ProtocolError(f"{what}: {type(exc).__name__}: {exc}", url=server.url) from None
    except ValueError as exc:  # JSON decoding
        raise ProtocolError(f"{what}: the answer is not valid JSON ({exc})", url=server.url) from None


def _check(server: Server, resp: requests.Response, what: str) -> None:
    if resp.status_code in (401, 403):
        raise ServerUnavailable(
            f"{what}: HTTP {resp.status_code} (not authorised)",
            url=server.url,
            hint="check --header / the URL's user:password",
        )
    if resp.status_code in (502, 503, 504):  # a proxy or a server still starting: try again later
        raise ServerUnavailable(
            f"{what}: HTTP {resp.status_code}", url=server.url, details={"maybe_sent": False}
        )
    if resp.status_code >= 400:
        raise ProtocolError(f"{what}: HTTP {resp.status_code}: {resp.text[:300]}", url=server.url)


check_status = _check  # public name for modules that read a response themselves


def get_json(
    server: Server,
    path: str,
    what: str | None = None,
    params: dict[str, Any] | None = None,
    read_s: float | None = None,
) -> Any:
    what = what or f"GET {path}"
    with translating(server, what):
        resp = server.session.get(server.base + path, params=params, timeout=server.request_timeout(read_s))
        _check(server, resp, what)
        return resp.json()


def system_stats(server: Server) -> dict[str, Any]:
    body = get_json(server, "/system_stats")
    if not isinstance(body, dict) or "system" not in body:
        raise ProtocolError("GET /system_stats: no 'system' key: is this a ComfyUI server?", url=server.url)
    system, devices = body["system"], body.get("devices", [])
    # the manifest records these: a wrong type here must be a clear error, not a pydantic traceback later
    bad = [f"system.{k}" for k in _SYSTEM_TEXT if not isinstance(system, dict) or not _text(system.get(k))]
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        bad.append("devices")
    if bad:
        raise ProtocolError(f"GET /system_stats: wrong types in {', '.join(bad)}", url=server.url)
    return body


_SYSTEM_TEXT = ("comfyui_version", "python_version", "pytorch_version", "os")


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def object_info(server: Server) -> dict[str, Any]:
    body = get_json(server, "/object_info")
    if not isinstance(body, dict):
        raise ProtocolError("GET /object_info is not a JSON object", url=server.url)
    return body


def object_info_bytes(server: Server) -> bytes:
    """The raw body of ``GET /object_info`` (hashed and parsed lazily by the caller)."""
    with translating(server, "GET /object_info"):
        resp = server.session.get(server.base + "/object_info", timeout=server.request_timeout())
        _check(server, resp, "GET /object_info")
        return resp.content


def post_prompt(server: Server, graph: dict[str, Any], *, client_id: str, prompt_id: str) -> p.PromptAccepted:
    """Submit; a 400 becomes PromptRejected whose ``details['body']`` is the server's whole answer."""
    body = {"prompt": graph, "client_id": client_id, "prompt_id": prompt_id}
    with translating(server, "POST /prompt"):
        resp = server.session.post(server.base + "/prompt", json=body, timeout=server.request_timeout())
        if resp.status_code == 400:
            try:
                answer = resp.json()
            except ValueError:
                answer = {"error": {"type": "unknown", "message": resp.text[:500]}}
            raise PromptRejected(
                "the server rejected the prompt",
                url=server.url,
                prompt_id=prompt_id,
                client_id=client_id,
                details={"status": 400, "body": answer},
            )
        _check(server, resp, "POST /prompt")
        return p.parse_prompt_accepted(resp.json())


def history(server: Server, prompt_id: str, read_s: float | None = None) -> p.HistoryEntry | None:
    return p.parse_history(get_json(server, f"/history/{prompt_id}", read_s=read_s), prompt_id)


def queue(server: Server, read_s: float | None = None) -> p.QueueSnapshot:
    return p.parse_queue(get_json(server, "/queue", read_s=read_s))


def jobs_supported(server: Server) -> bool:
    """True if the server has the /api/jobs API (ComfyUI >= 0.8)."""
    with translating(server, "GET /api/jobs"):
        resp = server.session.get(
            server.base + "/api/jobs", params={"limit": 1}, timeout=server.request_timeout()
        )
        return resp.status_code == 200


def job_status(server: Server, prompt_id: str) -> str | None:
    """/api/jobs/{id} status, or None for an unknown id (404 ``{"error": "Job not found"}``)."""
    with translating(server, f"GET /api/jobs/{prompt_id}"):
        resp = server.session.get(server.base + f"/api/jobs/{prompt_id}", timeout=server.request_timeout())
        if resp.status_code == 404:
            return None
        _check(server, resp, "GET /api/jobs")
        return p.job_status(resp.json())


def interrupt(server: Server, prompt_id: str) -> bool:
    """Interrupt OUR prompt only; False (nothing sent) where that cannot be scoped to *prompt_id*.

    ComfyUI honours ``{"prompt_id"}`` from 0.3.57 on; an older server, or an empty id, interrupts
    whatever runs, possibly another client's job, so nothing is sent unless ``interrupt_scoped``.
    """
    if not prompt_id or not server.interrupt_scoped:
        return False
    with translating(server, "POST /interrupt"):
        resp = server.session.post(
            server.base + "/interrupt", json={"prompt_id": prompt_id}, timeout=server.request_timeout()
        )
        _check(server, resp, "POST /interrupt")
    return True


def version_tuple(text: Any) -> tuple[int, ...] | None:
    """``"0.3.64"`` -> (0, 3, 64); None when *text* does not start with a dotted version."""
    import re

    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text) if isinstance(text, str) else None
    return tuple(int(g or 0) for g in match.groups()) if match else None


def interrupt_is_scoped(stats: dict[str, Any], *, private: bool = False) -> bool:
    """True when ``/interrupt`` with a prompt_id stops only that prompt (or the server is ours alone)."""
    version = version_tuple((stats.get("system") or {}).get("comfyui_version"))
    return private or (version is not None and version >= SCOPED_INTERRUPT_SINCE)


def delete_from_queue(server: Server, prompt_id: str) -> None:
    with translating(server, "POST /queue"):
        resp = server.session.post(
            server.base + "/queue", json={"delete": [prompt_id]}, timeout=server.request_timeout()
        )
        _check(server, resp, "POST /queue")


@contextlib.contextmanager
def view(server: Server, filename: str, subfolder: str, type_: str) -> Iterator[requests.Response]:
    """A streamed ``GET /view`` response (caller iterates ``iter_content``)."""
    what = f"GET /view {subfolder + '/' if subfolder else ''}{filename}"
    with translating(server, what):
        params = {"filename": filename, "subfolder": subfolder, "type": type_}
        with server.session.get(
            server.base + "/view", params=params, stream=True, timeout=server.request_timeout()
        ) as resp:
            _check(server, resp, what)
            yield resp
