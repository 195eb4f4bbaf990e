"""Hypothesis profiles for the fuzz tests.

``fuzz-ci`` (the default) keeps every property small so CI stays fast; for a long local run
pass ``--hypothesis-profile=fuzz-deep`` to pytest (or set ``VELLARYS_FUZZ_PROFILE=fuzz-deep``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz-ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz-deep",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# A profile named on pytest's command line (loaded before this file) is kept.
if settings.get_current_profile_name() == "default":
    settings.load_profile(os.environ.get("VELLARYS_FUZZ_PROFILE", "fuzz-ci"))
