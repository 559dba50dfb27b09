"""Output checks: compare renders with goldens ("green" means "right output", not "exit 0").

Modules, one job each: ``media`` (PyAV probe/decode to analysis frames), ``metrics`` (luma
SSIM/PSNR and block means in numpy, or torch when asked: the only torch import), ``colour``
(CIEDE2000), ``temporal`` (motion profile, flicker), ``lockstep`` (decode two videos side by
side and score every frame pair), ``compare`` (:func:`compare_files` → :class:`Comparison`),
``tolerances``, ``golden`` (layout, golden.json, atomic update), ``check_run`` (a run directory
vs its goldens), ``junit``, ``html`` (one self-contained report), ``rerun`` (re-submit a
manifest's graph), ``synth`` and ``plant`` (test clips and planted regressions).
Nothing is imported here, so ``import comfyreel.checks.X`` stays as light as X.
"""
