"""The ComfyUI websocket with our own ``client_id``: connect, bounded reads, reconnect.

websocket-client exceptions are translated here only. A read returns a typed message, ``None`` on a
read timeout, or raises :class:`WsClosed` when the connection is gone. :meth:`WsClient.reconnect`
closes the old socket *before* opening the new one with the same id: the server serves only the
newest socket per clientId, and an old socket closing later would unregister the new one too.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from urllib.parse import quote, urlsplit, urlunsplit

import websocket
from comfyreel.runner import protocol as p
from comfyreel.runner.errors import ServerUnavailable


class WsClosed(Exception):
    """The websocket connection is gone (internal signal for the IO shell, never shown to users)."""


_ERRORS = (websocket.WebSocketException, OSError, ssl.SSLError, socket.timeout, ValueError)


def ws_url(base: str, client_id: str) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((scheme, netloc, parts.path.rstrip("/") + "/ws", f"clientId={quote(client_id)}", ""))


class WsClient:
    """One logical websocket for *client_id*; ``public`` is the credential-free URL for messages."""

    def __init__(
        self,
        base: str,
        client_id: str,
        *,
        headers: dict[str, str] | None = None,
        connect_timeout: float = 10.0,
        public: str | None = None,
    ) -> None:
        self.url = ws_url(base, client_id)
        self.client_id = client_id
        self.headers = [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.connect_timeout = connect_timeout
        self.public = public or base
        self._ws: websocket.WebSocket | None = None
        self.reconnects = 0
        self.disabled = False  # the upgrade was refused (a proxy without websockets): poll only

    @property
    def connected(self) -> bool:
        return self._ws is not None and bool(self._ws.connected)

    def connect(self) -> None:
        try:
            self._ws = websocket.create_connection(
                self.url,
                timeout=self.connect_timeout,
                header=self.headers,
                enable_multithread=True,
                suppress_origin=True,
            )
        except _ERRORS as exc:
            self._ws = None
            raise ServerUnavailable(
                f"cannot open the websocket ({type(exc).__name__})",
                url=self.public,
                client_id=self.client_id,
                hint="is ComfyUI running at this URL, and does it accept the auth header?",
            ) from None

    def reconnect(self) -> None:
        """Close the old socket first, then reopen with the same client_id."""
        self.close()
        self.reconnects += 1
        self.connect()

    def recv(self, timeout: float) -> p.Message | None:
        """Wait at most *timeout* seconds for one frame."""
        if self._ws is None:
            raise WsClosed("not connected")
        try:
            self._ws.settimeout(max(timeout, 0.001))
            frame = self._ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except TimeoutError:
            return None
        except _ERRORS as exc:
            self.close()
            raise WsClosed(type(exc).__name__) from None
        if not frame:  # a close frame reads as "" (ComfyUI never sends empty frames)
            self.close()
            raise WsClosed("closed by the server")
        return p.parse_message(frame)

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(_ERRORS):
                ws.close(timeout=1)
