"""Output checks: compare renders with goldens ("green" means "right output", not "exit 0").

Modules, one job each: ``media`` (PyAV probe/decode), ``metrics`` (torch SSIM/PSNR, the only
torch import), ``lockstep`` (decode two videos once and score every frame pair), ``compare``
(:func:`compare_files` → :class:`Comparison`), ``tolerances``, ``golden`` (layout, golden.json,
atomic update), ``check_run`` (a run directory vs its goldens), ``junit``, ``html`` (one
self-contained report), ``rerun`` (re-submit a manifest's graph), ``synth`` (test clips).
Nothing is imported here, so ``import comfyreel.checks.X`` stays as light as X.
"""
