"""Fetch a live server's ``/object_info`` as an :class:`ObjectInfo` (for ``validate --server``).

Every ``requests`` failure becomes :class:`ServerUnavailable` (no answer) or :class:`ProtocolError`
(an answer we cannot use); messages name the server by :func:`public_url` only, so credentials in
the URL or in headers are never printed.
"""

from __future__ import annotations

from comfyreel.compiler.errors import ObjectInfoError
from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.runner.errors import ProtocolError, ServerUnavailable
from comfyreel.runner.manifest import public_url

_AUTH_HINT = (
    "the server wants credentials: pass --header 'Authorization: Bearer <token>' or http://user:pass@host"
)


def object_info_url(url: str) -> str:
    """``http://host:8188`` -> ``http://host:8188/object_info`` (a URL already ending so is kept)."""
    base = url.rstrip("/")
    return base if base.endswith("/object_info") else base + "/object_info"


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` -> ``("Name", "value")``; raises ValueError on anything else."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
        raise ValueError("expected 'Name: value'")
    return name.strip(), value.strip()


def fetch_object_info(url: str, *, headers: dict[str, str] | None = None, timeout: float = 30) -> ObjectInfo:
    """GET ``<url>/object_info`` and normalise it; the result has ``live=True`` and its sha256."""
    import requests
    from comfyreel.runner.http import Server  # URL checks, credentials and session, as for a run

    safe = public_url(object_info_url(url))
    server = Server(url, headers=headers, timeout=timeout)
    try:
        resp = server.session.get(object_info_url(server.base), timeout=timeout)
        data = resp.content
    except requests.exceptions.Timeout:
        raise ServerUnavailable(
            f"no answer from {safe} within {timeout:g} s",
            url=safe,
            hint="is ComfyUI running and reachable? raise --timeout for a slow server",
        ) from None
    except requests.exceptions.ConnectionError as exc:
        raise ServerUnavailable(
            f"cannot connect to {safe} ({_reason(exc)})",
            url=safe,
            hint="is ComfyUI running at this URL? start it, or validate offline without --server",
        ) from None
    except requests.exceptions.RequestException as exc:
        raise ServerUnavailable(f"cannot fetch {safe} ({type(exc).__name__})", url=safe) from None
    finally:
        server.close()
    if resp.status_code in (401, 403):
        raise ProtocolError(f"{safe} answered HTTP {resp.status_code}", url=safe, hint=_AUTH_HINT)
    if resp.status_code >= 500:
        raise ServerUnavailable(
            f"{safe} answered HTTP {resp.status_code}",
            url=safe,
            hint="the server is not ready or failed; see its log",
        )
    if resp.status_code != 200:
        raise ProtocolError(
            f"{safe} answered HTTP {resp.status_code}",
            url=safe,
            hint="is this the ComfyUI server's base URL?",
        )
    try:
        return ObjectInfo.from_bytes(data, source=safe, live=True)
    except ObjectInfoError as exc:
        raise ProtocolError(exc.message, url=safe, hint="is this URL a ComfyUI server?") from None


def _reason(exc: BaseException) -> str:
    """The innermost OS-level reason (e.g. "Connection refused"), without URLs or credentials."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        nested = getattr(current, "reason", None)  # urllib3's MaxRetryError wraps the real error here
        if not isinstance(nested, BaseException):
            nested = next((a for a in current.args if isinstance(a, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    return type(exc).__name__
