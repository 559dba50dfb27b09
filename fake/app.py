"""HTTP routes and the websocket of the fake ComfyUI (aiohttp), with recorded status codes and bodies.

Every route also exists under `/api/...`. Bodies follow the recordings: 400 `{error, node_errors}`
from POST /prompt, 200 with an empty body and no Content-Type from /interrupt and POST /queue,
`{}` from /history/{unknown} and /object_info/{unknown}, 404 from /view for a missing file. Hostile
fault switches are applied by one middleware, so the handlers stay faithful.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web
from comfyreel.fake import jobs
from comfyreel.fake.core import CORE_KEY, Core
from comfyreel.fake.hostile import hostile_middleware
from comfyreel.fake.hub import Client
from comfyreel.fake.state import QueueItem, now_ms
from comfyreel.fake.uploads import store_upload
from comfyreel.fake.validation import validate_prompt

_JSON = "application/json"


def _core(request: web.Request) -> Core:
    return request.app[CORE_KEY]


def _empty_200() -> web.Response:
    response = web.Response(status=200)
    return response


def _error_500() -> web.Response:
    """aiohttp's answer to an exception in a handler, as a real server sends it."""
    return web.Response(status=500, text="500 Internal Server Error\n\nServer got itself in trouble")


async def _json_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    text = await request.text()
    if not text.strip():
        return None
    return json.loads(text)


# -- websocket ---------------------------------------------------------------------------------
async def ws_handler(request: web.Request) -> web.StreamResponse:
    core = _core(request)
    if core.faults.ws_refuse_status is not None:
        return web.Response(status=core.faults.ws_refuse_status)
    ws = web.WebSocketResponse(max_msg_size=0, heartbeat=None)
    await ws.prepare(request)
    sid = request.query.get("clientId") or uuid.uuid4().hex
    client = Client(sid=sid, ws=ws, transport=request.transport)
    hub = core.hub  # a restart swaps the hub; unregister from the one we joined
    hub.register(client)
    try:
        await hub.send_now(client, "status", {**core.executor.status_data(), "sid": sid})
        if core.executor.client_id == sid and core.executor.last_node_id is not None:
            await hub.send_now(client, "executing", {"node": core.executor.last_node_id})
        first = True
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    data = None
                if first and isinstance(data, dict) and data.get("type") == "feature_flags":
                    client.feature_flags = data.get("data") or {}
                    await hub.send_now(client, "feature_flags", core.features())
                first = False
            elif msg.type == web.WSMsgType.ERROR:
                break
    finally:
        hub.unregister(client)
    return ws


# -- prompt / queue / history --------------------------------------------------------------------
async def post_prompt(request: web.Request) -> web.Response:
    core = _core(request)
    try:
        data = await _json_body(request)
        if not isinstance(data, (dict, list, str)):  # `"number" in 5` raises in ComfyUI too
            raise TypeError("body is not a container")
        if "number" in data and isinstance(data, dict):
            number: int | float = float(data["number"])
        else:
            number = core.number
            if isinstance(data, dict) and data.get("front"):
                number = -number
            core.number += 1
    except Exception:
        return _error_500()
    with core.lock:
        core.prompts_seen.append(data)
    if not isinstance(data, dict) or "prompt" not in data:  # a list or string body: no_prompt, as ComfyUI
        error = {
            "type": "no_prompt",
            "message": "No prompt provided",
            "details": "No prompt provided",
            "extra_info": {},
        }
        return web.json_response({"error": error, "node_errors": {}}, status=400)
    prompt = data["prompt"]
    prompt_id = str(data.get("prompt_id", uuid.uuid4()))
    targets = data.get("partial_execution_targets")
    verdict = validate_prompt(
        prompt,
        core.catalog,
        targets if isinstance(targets, list) else None,
        input_exists=lambda name: core.input_file(name) is not None,
    )
    extra_data = data.get("extra_data") if isinstance(data.get("extra_data"), dict) else {}
    if "client_id" in data:
        extra_data["client_id"] = data["client_id"]
    if core.version != "0.3.64":
        extra_data["create_time"] = now_ms()
        for secret in ("auth_token_comfy_org", "api_key_comfy_org"):
            extra_data.pop(secret, None)
    if not verdict.ok:
        return web.json_response({"error": verdict.error, "node_errors": verdict.node_errors}, status=400)
    item = QueueItem(
        number=number, prompt_id=prompt_id, prompt=prompt, extra_data=extra_data, outputs=verdict.good_outputs
    )
    core.queue.put(item)
    core.executor.queue_updated()
    return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": verdict.node_errors})


async def get_prompt(request: web.Request) -> web.Response:
    return web.json_response(_core(request).executor.status_data()["status"])


async def get_queue(request: web.Request) -> web.Response:
    core = _core(request)
    with core.queue.lock:
        running = [i.as_tuple() for i in core.queue.running.values()]
        pending = [i.as_tuple() for i in core.queue.pending()]
    return web.json_response({"queue_running": running, "queue_pending": pending})


async def post_queue(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _json_body(request) or {}
    if isinstance(data, dict):
        if data.get("clear"):
            core.queue.clear()
            core.executor.queue_updated()
        for prompt_id in data.get("delete") or []:
            if core.queue.delete(str(prompt_id)):
                core.executor.queue_updated()
    return _empty_200()


async def get_history(request: web.Request) -> web.Response:
    core = _core(request)
    query = request.rel_url.query
    try:
        max_items = int(query["max_items"]) if "max_items" in query else None
        offset = int(query.get("offset", -1))
    except ValueError:
        return _error_500()
    return web.json_response(core.history.page(max_items, offset))


async def get_history_item(request: web.Request) -> web.Response:
    core = _core(request)
    prompt_id = request.match_info["prompt_id"]
    entry = core.history.get(prompt_id)
    return web.json_response({prompt_id: entry.as_dict()} if entry else {})


async def post_history(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _json_body(request) or {}
    if isinstance(data, dict):
        if data.get("clear"):
            core.history.clear()
        for prompt_id in data.get("delete") or []:
            core.history.delete(str(prompt_id))
    return _empty_200()


async def post_interrupt(request: web.Request) -> web.Response:
    """server.py ``post_interrupt``: an unparsable or empty body counts as ``{}``; a JSON body that is
    not an object is a 500 (``json_data.get`` raises); a missing or empty (falsy) ``prompt_id`` is a
    GLOBAL interrupt of whatever runs; a ``prompt_id`` interrupts only if it is the running one."""
    core = _core(request)
    try:
        data = json.loads(await request.text())
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return _error_500()
    core.interrupt(data.get("prompt_id") or None)
    return _empty_200()


async def post_free(request: web.Request) -> web.Response:
    core = _core(request)
    data = await _json_body(request) or {}
    if isinstance(data, dict) and (data.get("unload_models") or data.get("free_memory")):
        core.device.free(unload_models=bool(data.get("unload_models")))
    return _empty_200()


# -- files -----------------------------------------------------------------------------------------
async def get_view(request: web.Request) -> web.StreamResponse:
    core = _core(request)
    query = request.rel_url.query
    if "filename" not in query:
        return web.Response(status=404)
    filename = query["filename"]
    if not filename:
        return web.Response(status=400)
    if filename[0] == "/" or ".." in filename or "\x00" in filename:
        return web.Response(status=400)
    base = core.dir_for_type(query.get("type", "output"))
    if base is None:
        return web.Response(status=400)
    folder = base
    if "subfolder" in query:
        folder = Path(os.path.abspath(os.path.join(base, query["subfolder"])))
        if "\x00" in query["subfolder"] or os.path.commonpath((str(folder), str(base))) != str(base):
            return web.Response(status=403)
    path = folder / os.path.basename(filename)
    if not path.is_file():
        return web.Response(status=404)
    return await _stream_file(request, core, path)


async def _stream_file(request: web.Request, core: Core, path: Path) -> web.StreamResponse:
    size = path.stat().st_size
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = web.StreamResponse(headers={"Content-Disposition": f'filename="{path.name}"'})
    response.content_type = content_type
    response.content_length = size
    await response.prepare(request)
    faults = core.faults
    limit = faults.view_truncate_after
    rate = faults.view_bytes_per_s
    sent = 0
    chunk = 64 * 1024 if not rate else max(1, min(64 * 1024, int(rate / 20) or 1))
    with path.open("rb") as handle:
        while True:
            block = handle.read(chunk)
            if not block:
                break
            if limit is not None and sent + len(block) >= limit:
                await response.write(block[: max(0, limit - sent)])
                if request.transport is not None:
                    request.transport.abort()  # announced full length, delivered less
                return response
            await response.write(block)
            sent += len(block)
            if rate:
                await asyncio.sleep(len(block) / rate)
    await response.write_eof()
    return response


async def post_upload_image(request: web.Request) -> web.Response:
    """ComfyUI's /upload/image: multipart `image` (+ `subfolder`, `type`, `overwrite`); see uploads.py."""
    core = _core(request)
    post = await request.post()  # aiohttp spools file fields to a temp file, in chunks
    dirs = {"input": core.input_dir, "temp": core.temp_dir, "output": core.output_dir}
    return store_upload(post, {k: Path(os.path.abspath(v)) for k, v in dirs.items()}, core.uploads)


# -- schema / info ---------------------------------------------------------------------------------
async def get_object_info(request: web.Request) -> web.Response:
    return web.json_response(_core(request).object_info())


async def get_object_info_node(request: web.Request) -> web.Response:
    core = _core(request)
    name = request.match_info["node_class"]
    entry = core.object_info().get(name)
    return web.json_response({name: entry} if entry is not None else {})


async def get_system_stats(request: web.Request) -> web.Response:
    return web.json_response(_core(request).system_stats())


async def get_features(request: web.Request) -> web.Response:
    return web.json_response(_core(request).features())


async def get_models(request: web.Request) -> web.Response:
    return web.json_response(_core(request).catalog.folders())


async def get_models_folder(request: web.Request) -> web.Response:
    core = _core(request)
    folder = request.match_info["folder"]
    if folder not in core.catalog.folders():
        return web.Response(status=404)
    return web.json_response(core.catalog.names_in(folder))


async def get_list(request: web.Request) -> web.Response:
    return web.json_response([])


async def get_empty_dict(request: web.Request) -> web.Response:
    return web.json_response({})


@web.middleware
async def not_found_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Unknown routes answer 404 with an empty octet-stream body, as recorded (not aiohttp's text)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return web.Response(status=404, body=b"", content_type="application/octet-stream")


def build_app(core: Core) -> web.Application:
    """The aiohttp application of one fake server."""
    app = web.Application(
        middlewares=[not_found_middleware, hostile_middleware], client_max_size=core.max_upload_size
    )
    app[CORE_KEY] = core
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/ws", ws_handler),
        ("POST", "/prompt", post_prompt),
        ("GET", "/prompt", get_prompt),
        ("GET", "/queue", get_queue),
        ("POST", "/queue", post_queue),
        ("GET", "/history", get_history),
        ("GET", "/history/{prompt_id}", get_history_item),
        ("POST", "/history", post_history),
        ("POST", "/interrupt", post_interrupt),
        ("POST", "/free", post_free),
        ("GET", "/view", get_view),
        ("POST", "/upload/image", post_upload_image),
        ("GET", "/object_info", get_object_info),
        ("GET", "/object_info/{node_class}", get_object_info_node),
        ("GET", "/system_stats", get_system_stats),
        ("GET", "/features", get_features),
        ("GET", "/models", get_models),
        ("GET", "/models/{folder}", get_models_folder),
        ("GET", "/embeddings", get_list),
        ("GET", "/extensions", get_list),
    ]
    if core.version != "0.3.64":
        routes.append(("GET", "/global_subgraphs", get_empty_dict))
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
        app.router.add_route(method, "/api" + path, handler)
    if core.version != "0.3.64":  # the jobs API exists only under /api
        app.router.add_route("GET", "/api/jobs", jobs.list_jobs)
        app.router.add_route("GET", "/api/jobs/{job_id}", jobs.get_job)
    return app
