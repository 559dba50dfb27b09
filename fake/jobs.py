"""The 0.8.0 jobs API of the fake (`GET /api/jobs`, `GET /api/jobs/{id}`), as recorded.

Statuses are `pending`, `in_progress`, `completed` and `failed` (an interrupted prompt is
`failed` without `execution_error`); null values are pruned; errors are flat `{"error": str}`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from comfyreel.fake.core import CORE_KEY, Core
from comfyreel.fake.state import HistoryEntry, QueueItem

_STATUSES = ("pending", "in_progress", "completed", "failed")
_PREVIEWABLE = frozenset({"images", "video", "audio"})
_THREE_D = (".obj", ".fbx", ".gltf", ".glb")


def _queue_job(item: QueueItem, status: str) -> dict[str, Any]:
    return {
        "id": item.prompt_id,
        "status": status,
        "priority": item.number,
        "create_time": item.extra_data.get("create_time", item.create_time),
        "outputs_count": 0,
    }


def _previewable(media_type: str, item: dict[str, Any]) -> bool:
    """comfy_execution/jobs.py ``is_previewable``: images/video/audio, a video/ or audio/ format, or a
    3D file name."""
    if media_type in _PREVIEWABLE:
        return True
    fmt = str(item.get("format") or "")
    if fmt.startswith(("video/", "audio/")):
        return True
    return str(item.get("filename") or "").lower().endswith(_THREE_D)


def outputs_summary(outputs: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    """comfy_execution/jobs.py ``get_outputs_summary`` (0.8.0): every dict item of every list except
    ``animated`` counts (text strings do not); the preview is the first previewable item of type
    "output", else the first previewable one. Failed prompts count the outputs they kept."""
    count, preview, fallback = 0, None, None
    for node_id, node_outputs in outputs.items():
        if not isinstance(node_outputs, dict):
            continue
        for media_type, items in node_outputs.items():
            if media_type == "animated" or not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, dict):
                    continue
                count += 1
                if preview is None and _previewable(media_type, item):
                    enriched = {**item, "nodeId": node_id, "mediaType": media_type}
                    if item.get("type") == "output":
                        preview = enriched
                    elif fallback is None:
                        fallback = enriched
    return count, preview or fallback


def _history_job(entry: HistoryEntry, full: bool) -> dict[str, Any]:
    messages = entry.status.get("messages", [])
    error = next((data for event, data in messages if event == "execution_error"), None)
    success = entry.status.get("status_str") == "success"
    count, preview = outputs_summary(entry.outputs)
    job: dict[str, Any] = {
        "id": entry.item.prompt_id,
        "status": "completed" if success else "failed",
        "priority": entry.item.number,
        "create_time": entry.item.extra_data.get("create_time", entry.item.create_time),
        "execution_start_time": entry.start_time,
        "execution_end_time": entry.end_time,
        "outputs_count": count,
    }
    workflow = (entry.item.extra_data.get("extra_pnginfo") or {}).get("workflow") or {}
    if isinstance(workflow, dict) and workflow.get("id") is not None:
        job["workflow_id"] = workflow["id"]
    if preview is not None:
        job["preview_output"] = preview
    if error is not None:
        job["execution_error"] = error
    if full:
        job["outputs"] = entry.outputs
        job["execution_status"] = entry.status
        job["workflow"] = {"prompt": entry.item.prompt, "extra_data": entry.item.extra_data}
    return {k: v for k, v in job.items() if v is not None}


def _all_jobs(core: Core) -> list[tuple[dict[str, Any], HistoryEntry | QueueItem]]:
    jobs: list[tuple[dict[str, Any], HistoryEntry | QueueItem]] = []
    with core.queue.lock:
        running = list(core.queue.running.values())
        pending = core.queue.pending()
    jobs += [(_queue_job(i, "in_progress"), i) for i in running]
    jobs += [(_queue_job(i, "pending"), i) for i in pending]
    jobs += [(_history_job(e, False), e) for e in core.history.visible()]
    return jobs


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def list_jobs(request: web.Request) -> web.Response:
    core = request.app[CORE_KEY]
    query = request.rel_url.query
    statuses = [s.strip() for s in query.get("status", "").split(",") if s.strip()]
    invalid = [s for s in statuses if s not in _STATUSES]
    if invalid:
        return _bad(f"Invalid status value(s): {', '.join(invalid)}. Valid values: {', '.join(_STATUSES)}")
    sort_by = query.get("sort_by", "created_at")
    if sort_by not in ("created_at", "execution_duration"):
        return _bad("sort_by must be 'created_at' or 'execution_duration'")
    sort_order = query.get("sort_order", "desc")
    if sort_order not in ("asc", "desc"):
        return _bad("sort_order must be 'asc' or 'desc'")
    limit: int | None = None
    if "limit" in query:
        try:
            limit = int(query["limit"])
        except ValueError:
            return _bad("limit must be an integer")
        if limit <= 0:
            return _bad("limit must be a positive integer")
    try:
        offset = max(0, int(query.get("offset", 0)))
    except ValueError:
        return _bad("offset must be an integer")
    jobs = [job for job, _src in _all_jobs(core)]
    if statuses:
        jobs = [j for j in jobs if j["status"] in statuses]
    if "workflow_id" in query:
        jobs = [j for j in jobs if j.get("workflow_id") == query["workflow_id"]]
    if sort_by == "created_at":
        jobs.sort(key=lambda j: j.get("create_time", 0), reverse=sort_order == "desc")
    else:

        def duration(j: dict[str, Any]) -> int:
            return int(j.get("execution_end_time", 0) or 0) - int(j.get("execution_start_time", 0) or 0)

        jobs.sort(key=duration, reverse=sort_order == "desc")
    total = len(jobs)
    page = jobs[offset : offset + limit] if limit is not None else jobs[offset:]
    return web.json_response(
        {
            "jobs": page,
            "pagination": {
                "offset": offset,
                "limit": limit,
                "total": total,
                "has_more": offset + len(page) < total,
            },
        }
    )


async def get_job(request: web.Request) -> web.Response:
    core = request.app[CORE_KEY]
    job_id = request.match_info["job_id"]
    with core.queue.lock:
        running = core.queue.running.get(job_id)
        pending = next((i for i in core.queue.pending() if i.prompt_id == job_id), None)
    if running is not None:
        return web.json_response(_queue_job(running, "in_progress"))
    if pending is not None:
        return web.json_response(_queue_job(pending, "pending"))
    entry = core.history.get(job_id)
    if entry is None:
        return web.json_response({"error": "Job not found"}, status=404)
    return web.json_response(_history_job(entry, True))
