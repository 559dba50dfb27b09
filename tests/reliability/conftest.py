"""Hypothesis profile for the fuzz tests: COMFYREEL_FUZZ_EXAMPLES sets the number of cases.

CI default is small (200 per test); a soak run uses e.g. ``COMFYREEL_FUZZ_EXAMPLES=10000``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FUZZ_EXAMPLES = int(os.environ.get("COMFYREEL_FUZZ_EXAMPLES", "200"))

settings.register_profile(
    "comfyreel-fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
