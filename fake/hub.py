"""Websocket clients of the fake ComfyUI and the ordered publisher of their messages.

As in ComfyUI's server: one socket per clientId (the newest wins; when any socket of that id
closes, the id is unregistered, which silences a newer duplicate), events go to the socket of the
prompt's client_id, and `sid=None` broadcasts. Messages go through one FIFO so the order of
`send()` calls is the order on the wire. Fault switches (drop after N, silent, unknown injections)
apply here.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from comfyreel.fake.faults import Faults

log = logging.getLogger(__name__)


@dataclass
class Client:
    """One connected socket."""

    sid: str
    ws: web.WebSocketResponse
    transport: Any
    sent: int = 0
    feature_flags: dict[str, Any] = field(default_factory=dict)


class Hub:
    """Registered sockets by sid, plus a FIFO publisher."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.sockets: dict[str, Client] = {}
        self.all_clients: list[Client] = []
        self._queue: asyncio.Queue[tuple[str, Any, str | None]] | None = None
        self._task: asyncio.Task[None] | None = None
        # (sid, type, data) of the latest frames queued (bounded: a long-running demo must not grow forever)
        self.log: collections.deque[tuple[str | None, str, Any]] = collections.deque(maxlen=20000)

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._publish())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.close_all()

    async def close_all(self) -> None:
        for client in list(self.all_clients):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.ws.close(), 1.0)
        self.all_clients.clear()
        self.sockets.clear()

    # -- registry ------------------------------------------------------------------------------
    def register(self, client: Client) -> None:
        self.sockets[client.sid] = client
        self.all_clients.append(client)

    def unregister(self, client: Client) -> None:
        # Faithful quirk: ComfyUI pops by sid, so closing an OLD duplicate drops the NEW one too.
        self.sockets.pop(client.sid, None)
        if client in self.all_clients:
            self.all_clients.remove(client)

    # -- sending -------------------------------------------------------------------------------
    def send(self, event: str, data: Any, sid: str | None) -> None:
        """Queue a text frame for *sid* (None: every socket)."""
        if self._queue is not None:
            self.log.append((sid, event, data))
            self._queue.put_nowait((event, data, sid))

    def send_binary(self, event_type: int, payload: bytes, sid: str | None) -> None:
        if self._queue is not None:
            self._queue.put_nowait(("__binary__", struct.pack(">I", event_type) + payload, sid))

    def send_preview(self, png: bytes, metadata: dict[str, Any], sid: str | None) -> None:
        """A sampler preview: binary type 4 (with metadata) to sockets that announced
        `supports_preview_metadata`, type 1 (image type 2 = PNG) to the others (server.py layout)."""
        if self._queue is not None:
            self._queue.put_nowait(("__preview__", (png, metadata), sid))

    async def send_now(self, client: Client, event: str, data: Any) -> None:
        """Send directly to one socket (the first `status`, feature_flags, reconnect `executing`)."""
        await self._deliver(client, json.dumps({"type": event, "data": data}), binary=False)

    async def _publish(self) -> None:
        assert self._queue is not None
        while True:
            event, data, sid = await self._queue.get()
            try:
                await self._fan_out(event, data, sid)
            except Exception:  # one bad frame must not silence every socket
                log.exception("fake hub could not publish %s", event)

    async def _fan_out(self, event: str, data: Any, sid: str | None) -> None:
        if sid is None:
            targets = list(self.sockets.values())
        else:
            target = self.sockets.get(sid)
            targets = [target] if target is not None else []
        for client in targets:
            if self.faults.ws_inject_unknown and not event.startswith("__"):
                junk = json.dumps({"type": "fake_unknown_event", "data": {"x": [1, None]}})
                await self._deliver(client, junk, binary=False, count=False)
                await self._deliver(client, struct.pack(">I", 99) + b"\x00\x01junk", binary=True, count=False)
            if event == "__binary__":
                await self._deliver(client, data, binary=True)
            elif event == "__preview__":
                png, metadata = data
                if client.feature_flags.get("supports_preview_metadata"):
                    meta = json.dumps({**metadata, "image_type": "image/png"}).encode()
                    frame = struct.pack(">II", 4, len(meta)) + meta + png
                else:
                    frame = struct.pack(">II", 1, 2) + png
                await self._deliver(client, frame, binary=True)
            else:
                await self._deliver(client, json.dumps({"type": event, "data": data}), binary=False)

    async def _deliver(
        self, client: Client, payload: str | bytes, *, binary: bool, count: bool = True
    ) -> None:
        if self.faults.ws_silent or client.ws.closed:
            return
        try:
            if binary:
                await client.ws.send_bytes(payload)  # type: ignore[arg-type]
            else:
                await client.ws.send_str(payload)  # type: ignore[arg-type]
        except Exception as exc:  # the client went away; ComfyUI logs and carries on
            log.debug("send to %s failed: %s", client.sid, exc)
            return
        if not count:
            return
        client.sent += 1
        limit = self.faults.ws_drop_after
        if limit is not None and client.sent >= limit:
            if self.faults.ws_drop_once:
                self.faults.ws_drop_after = None
            self.drop(client)

    def drop(self, client: Client) -> None:
        """Cut the TCP connection under a socket (no close frame), like a network failure."""
        transport = client.transport
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.abort()
