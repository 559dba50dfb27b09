"""comfyreel.batch: render every variant of many recipes across many ComfyUI servers.

``jobs`` turns recipes into jobs with a content identity; ``fleet`` knows each server (queue length,
what it can render); ``dispatch`` is the in-process dispatcher; ``ray_engine`` runs the same jobs as
Ray tasks (the ``ray`` extra); ``summary`` and ``sheet`` write the batch folder's reports.
"""
