"""The fake server's shared core: catalog, queue, history, sockets, device, executor and logs.

One `Core` per fake server, owned by the event loop thread; `FakeComfyUI` (server.py) reads its
logs from the test thread through the small locked accessors below.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from comfyreel.fake.catalog import Catalog
from comfyreel.fake.executor import Executor, Timing
from comfyreel.fake.faults import Faults
from comfyreel.fake.hub import Hub
from comfyreel.fake.outputs import Saver
from comfyreel.fake.state import MAXIMUM_HISTORY_SIZE, Device, History, PromptQueue
from comfyreel.fake.uploads import UploadLog, input_listing

VERSIONS = ("0.3.64", "0.8.0")
#: Flags the fake reports in its argv: its pixels are deterministic and its files carry no prompt
#: metadata, like a ComfyUI started with these (it does cache between prompts: no --cache-none).
REPEATABLE_ARGV = ("--deterministic", "--disable-metadata")
MAX_UPLOAD_SIZE = 100 * 1024 * 1024  # ComfyUI's --max-upload-size default (100 MB), in bytes
#: Loader nodes whose combo ComfyUI fills from the input folder: class -> (input, content kinds).
_INPUT_LISTS = {
    "LoadImage": ("image", ("image",)),
    "LoadImageMask": ("image", ("image",)),
    "LoadVideo": ("file", ("video",)),
    "LoadAudio": ("audio", ("audio", "video")),
}
_VERSION_INFO = {
    "0.3.64": {"os": "posix", "frontend": "1.27.10", "templates": "0.1.95", "features_extension": False},
    "0.8.0": {"os": "linux", "frontend": "1.35.9", "templates": "0.7.67", "features_extension": True},
}


@dataclass(frozen=True)
class InterruptRecord:
    """One POST /interrupt: what was asked, what was running, whether it took effect."""

    requested: str | None  # the body's prompt_id; None for a global interrupt
    running: str | None  # the prompt running at that moment
    applied: bool  # True when the running prompt was flagged
    time: float


class Core:
    """Everything one fake server knows."""

    def __init__(
        self,
        *,
        output_dir: Path,
        temp_dir: Path,
        input_dir: Path,
        catalog: Catalog,
        faults: Faults,
        timing: Timing,
        version: str,
        device: Device,
        ui_keys: dict[str, str] | None = None,
        max_history: int = MAXIMUM_HISTORY_SIZE,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}")
        self.output_dir, self.temp_dir, self.input_dir = output_dir, temp_dir, input_dir
        self.catalog, self.faults, self.version, self.device = catalog, faults, version, device
        self.lock = threading.RLock()
        self.number = 0
        self.prompts_seen: list[Any] = []
        self.interrupts: list[InterruptRecord] = []
        self.uploads = UploadLog()
        self.max_upload_size = MAX_UPLOAD_SIZE
        self.queue = PromptQueue()
        self.history = History(max_history)
        self.hub = Hub(faults)
        self.saver = Saver(output_dir, temp_dir, ui_keys, faults=faults)
        self.timing = timing
        self.executor = Executor(
            catalog=catalog,
            queue=self.queue,
            history=self.history,
            hub=self.hub,
            device=device,
            faults=faults,
            timing=timing,
            saver=self.saver,
        )
        self.executor.resolve_input = self.input_file

    def start(self) -> None:
        """Start the publisher and the worker (on the running loop)."""
        self.hub.start()
        self.executor.start()

    async def stop(self) -> None:
        await self.executor.stop()
        await self.hub.stop()

    async def restart(self) -> None:
        """Forget the queue, history, cache and counter; cut every socket (a server restart)."""
        await self.executor.stop()
        for client in list(self.hub.all_clients):
            self.hub.drop(client)  # a dying server sends no close frame
        await self.hub.stop()
        self.queue.forget()
        self.history.clear()
        self.executor.cache.clear()
        self.device.free()
        self.number = 0
        self.hub = Hub(self.faults)
        self.executor.hub = self.hub
        self.start()

    def interrupt(self, requested: str | None) -> None:
        running = self.executor.current.prompt_id if self.executor.current else None
        applied = False
        if requested is None:
            self.executor.interrupt_flag = True  # harmless when idle: reset when a prompt starts
            applied = running is not None
        elif running is not None and requested == running:
            self.executor.interrupt_flag = True
            applied = True
        with self.lock:
            self.interrupts.append(InterruptRecord(requested, running, applied, time.time()))

    def input_file(self, name: str) -> Path | None:
        """Resolve a LoadImage value ("x.png", "sub/x.png", "x.png [output]") to an existing file."""
        base, folder = name, self.input_dir
        for tag, path in (
            (" [output]", self.output_dir),
            (" [input]", self.input_dir),
            (" [temp]", self.temp_dir),
        ):
            if name.endswith(tag):
                base, folder = name[: -len(tag)], path
        if "\x00" in base:
            return None
        candidate = (folder / base).resolve()
        if not candidate.is_relative_to(folder.resolve()) or not candidate.is_file():
            return None
        return candidate

    def input_files(self, kinds: tuple[str, ...] = ("image",)) -> list[str]:
        """Top-level input files of the given kinds, as ComfyUI lists them (subfolders not listed)."""
        return input_listing(self.input_dir, kinds)

    def object_info(self) -> dict[str, Any]:
        """The catalog, with the loaders' combos listing the input files (as ComfyUI fills them)."""
        nodes = dict(self.catalog.nodes)
        for class_type, (name, kinds) in _INPUT_LISTS.items():
            entry = nodes.get(class_type)
            if entry is None or name not in entry["input"].get("required", {}):
                continue
            spec = entry["input"]["required"][name]
            files = self.input_files(kinds)
            if spec and spec[0] == "COMBO":  # V3 form: ["COMBO", {"options": [...]}]
                new_spec = ["COMBO", {**(spec[1] if len(spec) > 1 else {}), "options": files}]
            else:
                new_spec = [files, *spec[1:]]
            nodes[class_type] = {
                **entry,
                "input": {**entry["input"], "required": {**entry["input"]["required"], name: new_spec}},
            }
        return nodes

    def dir_for_type(self, type_: str) -> Path | None:
        return {"output": self.output_dir, "temp": self.temp_dir, "input": self.input_dir}.get(type_)

    def features(self) -> dict[str, Any]:
        data: dict[str, Any] = {"supports_preview_metadata": True, "max_upload_size": self.max_upload_size}
        if _VERSION_INFO[self.version]["features_extension"]:
            data["extension"] = {"manager": {"supports_v4": True}}
        return data

    def system_stats(self) -> dict[str, Any]:
        info = _VERSION_INFO[self.version]
        return {
            "system": {
                "os": info["os"],
                "ram_total": 34359738368,
                "ram_free": 30064771072,
                "comfyui_version": self.version,
                "required_frontend_version": info["frontend"],
                "installed_templates_version": info["templates"],
                "required_templates_version": info["templates"],
                "python_version": sys.version,
                "pytorch_version": "2.13.0+cu128",
                "embedded_python": False,
                # argv[0] marks the fake (a real server says main.py): manifests and reports show it;
                # its flags say it renders like a server started for repeatable renders would
                "argv": [FAKE_ARGV0, "--listen", "127.0.0.1", "--port", "8188", *REPEATABLE_ARGV],
            },
            "devices": [self.device.stats()],
        }


CORE_KEY = web.AppKey("core", Core)
FAKE_ARGV0 = "comfyreel-fake-server"  # the same literal as comfyreel.runner.run_records.FAKE_ARGV0
