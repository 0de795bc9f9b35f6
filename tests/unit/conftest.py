"""Unit tests are deterministic: hypothesis draws the same examples on every run and machine."""

import os

from hypothesis import settings

settings.register_profile("unit", derandomize=True, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "unit"))
