"""Hostile-server faults applied to HTTP answers: forced statuses, malformed JSON, wrong types, huge bodies.

A route key is a path without the `/api` prefix; it matches that path and everything below it
(`"/history"` covers `/history/{id}`). The handlers stay faithful; this middleware bends their answers.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from comfyreel.fake.core import CORE_KEY


def route_key(path: str) -> str:
    return path[4:] if path.startswith("/api/") else path


def _matches(keys: set[str] | dict[str, int], path: str) -> str | None:
    for key in keys:
        plain = route_key(key)  # "/api/history" and "/history" name the same route
        if path == plain or path.startswith(plain.rstrip("/") + "/"):
            return key
    return None


def mangle(value: Any) -> Any:
    """Same keys, wrong types: numbers become strings, strings lists, lists dicts, dicts keep keys."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {"items": value}
    if isinstance(value, dict):
        return {k: mangle(v) for k, v in value.items()} if value else []
    return {}


@web.middleware
async def hostile_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    faults = request.app[CORE_KEY].faults
    path = route_key(request.path)
    if path == "/ws":
        return await handler(request)
    key = _matches(faults.http_status_routes, path)
    if key is not None:
        return web.Response(status=faults.http_status_routes[key])
    if _matches(faults.huge_body_routes, path):
        return await _huge(request, faults.huge_body_bytes)
    response = await handler(request)
    if _matches(faults.lose_answer_routes, path) and request.transport is not None:
        request.transport.abort()  # the work is done; the answer never arrives
        return response
    if not isinstance(response, web.Response) or response.content_type != "application/json":
        return response
    if _matches(faults.malformed_json_routes, path):
        text = response.text or "{}"
        broken = text[: max(1, len(text) // 2)] + '\x00{"oops": '
        return web.Response(status=response.status, text=broken, content_type="application/json")
    replace_key = _matches(set(faults.json_replace_routes), path)
    if replace_key is not None:
        try:
            data = json.loads(response.text or "null")
        except ValueError:
            return response
        return web.json_response(faults.json_replace_routes[replace_key](data), status=response.status)
    if _matches(faults.wrong_types_routes, path):
        try:
            data = json.loads(response.text or "null")
        except ValueError:
            return response
        return web.json_response(mangle(data), status=response.status)
    return response


async def _huge(request: web.Request, size: int) -> web.StreamResponse:
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.content_length = size
    await response.prepare(request)
    head = b'{"padding": "'
    tail = b'"}'
    await response.write(head)
    remaining = max(0, size - len(head) - len(tail))
    block = b"x" * (256 * 1024)
    try:
        while remaining > 0:
            part = block[: min(len(block), remaining)]
            await response.write(part)
            remaining -= len(part)
        await response.write(tail)
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        pass  # the client gave up reading: that is the point of this fault
    return response
