"""`FakeComfyUI`: the fake server run on its own event loop in a background thread.

Thread-safe from the caller's side: `start()`/`stop()` (or a `with` block), `restart()`, the live
`faults`, and read-only accessors for tests (`prompts_seen`, `history()`, `interrupts`, `queue()`,
`wait_idle()`). Every wait has a timeout, and `stop()` always joins the thread.
"""

from __future__ import annotations

import asyncio
import copy
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from aiohttp import web
from comfyreel.fake.app import build_app
from comfyreel.fake.catalog import Catalog
from comfyreel.fake.core import MAX_UPLOAD_SIZE, Core, InterruptRecord
from comfyreel.fake.executor import Timing
from comfyreel.fake.faults import Faults
from comfyreel.fake.state import GIB, MAXIMUM_HISTORY_SIZE, Device
from comfyreel.fake.uploads import UploadRecord

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0


class FakeComfyUI:
    """A protocol-faithful fake ComfyUI on 127.0.0.1 (real HTTP + websocket)."""

    def __init__(
        self,
        output_dir: str | Path | None = None,
        *,
        faults: Faults | None = None,
        node_delay_s: float = 0.0,
        step_delay_s: float = 0.0,
        previews: bool = False,
        version: str = "0.3.64",
        models: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
        extra_nodes: Mapping[str, dict[str, Any]] | None = None,
        ui_keys: Mapping[str, str] | None = None,
        object_info: Mapping[str, dict[str, Any]] | None = None,
        vram_total: int = 8 * GIB,
        max_history: int = MAXIMUM_HISTORY_SIZE,
        max_upload_size: int = MAX_UPLOAD_SIZE,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure (nothing starts until `start()` or `with`).

        output_dir: where outputs are written (a temp dir when None); `<output_dir>-temp` and
        `<output_dir>-input` serve /view types `temp` and `input`. node_delay_s: time per node.
        step_delay_s: time per sampler step (`progress` events). previews: also send a binary
        preview frame per sampler step (type 4 with metadata if the socket sent the
        `supports_preview_metadata` feature flag, else type 1 PNG; off by default, like ComfyUI's
        default `--preview-method none`). version: "0.3.64" or "0.8.0" (jobs
        API, create_time, features). models: installed model names (folder -> names, or a flat list
        for every model combo; default: the LTX template models). extra_nodes: extra object_info
        entries (custom nodes). ui_keys: class_type -> UI key for custom video outputs (default
        VHS_VideoCombine -> "gifs"). object_info: replace the pinned snapshot. max_history: prune
        /history like ComfyUI beyond this many entries (its MAXIMUM_HISTORY_SIZE, 10000). max_upload_size:
        the largest request body in bytes (ComfyUI's ``--max-upload-size``, 100 MB by default).
        """
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if output_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="comfyreel-fake-")
            output_dir = Path(self._tmp.name) / "output"
        self.output_dir = Path(output_dir).resolve()
        self._faults = faults if faults is not None else Faults()
        self.host, self._port = host, port
        self.version = version
        self._catalog_args = (models, extra_nodes, object_info)
        self._timing = Timing(node_delay_s=node_delay_s, step_delay_s=step_delay_s, previews=previews)
        self._ui_keys = dict(ui_keys or {})
        self.device = Device(total=vram_total)
        self._max_history = max_history
        self.max_upload_size = max_upload_size
        self.core: Core | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeComfyUI:
        if self._thread is not None:
            return self
        for path in (self.output_dir, self._sibling("temp"), self._sibling("input")):
            path.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(*self._catalog_args)
        ready: Future[None] = Future()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(catalog, ready), name="fake-comfyui", daemon=True
        )
        self._thread.start()
        try:
            ready.result(timeout=_START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    def _sibling(self, kind: str) -> Path:
        return self.output_dir.with_name(f"{self.output_dir.name}-{kind}")

    def _serve(self, catalog: Catalog, ready: Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._boot(catalog))
        except BaseException as exc:  # report start-up failures to start()
            loop.run_until_complete(self._shutdown())  # stop the tasks _boot started (no "destroyed" noise)
            loop.close()
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _boot(self, catalog: Catalog) -> None:
        self.core = Core(
            output_dir=self.output_dir,
            temp_dir=self._sibling("temp"),
            input_dir=self._sibling("input"),
            catalog=catalog,
            faults=self.faults,
            timing=self._timing,
            version=self.version,
            device=self.device,
            ui_keys=self._ui_keys,
            max_history=self._max_history,
        )
        self.core.max_upload_size = self.max_upload_size
        self.core.start()
        self._runner = web.AppRunner(build_app(self.core), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self._port)
        await self._site.start()
        self._port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self.core is not None:
            await self.core.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_TIMEOUT_S)
        self._thread, self._loop = None, None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> FakeComfyUI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro: Any, timeout: float = _STOP_TIMEOUT_S) -> Any:
        if self._loop is None:
            raise RuntimeError("the fake server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- controls --------------------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """The live fault switches (flip fields while the server runs)."""
        return self._faults

    @faults.setter
    def faults(self, new: Faults) -> None:
        # Copy into the live object: the running server holds references to it.
        self._faults.__dict__.update(vars(new))

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self._port}/ws"

    def install_models(self, folder: str, names: Iterable[str]) -> None:
        """Place model files into *folder* of the running fake (listed at once, like ComfyUI)."""
        if self.core is None:
            raise RuntimeError("start the fake first")
        self.core.catalog.install(folder, names)

    def restart(self, down_s: float = 0.0) -> None:
        """Simulate a server restart: forget queue, history and cache, close every socket.

        With *down_s* > 0 the port also refuses connections for that long.
        """
        self._call(self._restart(down_s), timeout=_STOP_TIMEOUT_S + down_s)

    async def _restart(self, down_s: float) -> None:
        assert self.core is not None and self._runner is not None
        await self.core.restart()
        if down_s > 0 and self._site is not None:
            await self._site.stop()
            await asyncio.sleep(down_s)
            self._site = web.TCPSite(self._runner, self.host, self._port)
            await self._site.start()

    # -- inspection (copies; safe from any thread) ------------------------------------------------
    @property
    def prompts_seen(self) -> list[Any]:
        """Every parsable POST /prompt body received (normally JSON objects), rejected ones included."""
        core = self._need_core()
        with core.lock:
            return copy.deepcopy(core.prompts_seen)

    @property
    def uploads(self) -> list[UploadRecord]:
        """Every accepted POST /upload/image: name asked and answered, size, written or duplicate."""
        return self._need_core().uploads.snapshot()

    @property
    def input_dir(self) -> Path:
        """The folder /upload/image writes to and LoadImage/LoadVideo/LoadAudio read from."""
        return self._sibling("input")

    @property
    def interrupts(self) -> list[InterruptRecord]:
        """Every POST /interrupt: requested prompt_id (None = global), the running one, applied."""
        core = self._need_core()
        with core.lock:
            return list(core.interrupts)

    def history(self, prompt_id: str | None = None) -> dict[str, Any]:
        """The /history view (ignores `history_delay_s`): all entries or one."""
        core = self._need_core()
        with core.history.lock:
            entries = dict(core.history.entries)
        if prompt_id is not None:
            entry = entries.get(prompt_id)
            return {prompt_id: entry.as_dict()} if entry else {}
        return {pid: e.as_dict() for pid, e in entries.items()}

    def queue(self) -> dict[str, list[str]]:
        """Prompt ids running and pending."""
        core = self._need_core()
        with core.queue.lock:
            return {
                "running": list(core.queue.running),
                "pending": [i.prompt_id for i in core.queue.pending()],
            }

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is running or pending; False on timeout."""
        core = self._need_core()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if core.queue.remaining() == 0:
                return True
            time.sleep(0.01)
        return False

    def ws_messages(self) -> list[tuple[str | None, str, Any]]:
        """Every text frame queued so far: (target sid or None for broadcast, type, data)."""
        return list(self._need_core().hub.log)

    @property
    def peak_vram_used(self) -> int:
        return self.device.peak_used

    def _need_core(self) -> Core:
        if self.core is None:
            raise RuntimeError("the fake server was never started")
        return self.core
