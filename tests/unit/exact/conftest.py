"""Fixtures for the Exact client's unit tests."""

from __future__ import annotations

import pytest
from exact_harness import Harness, new_harness


@pytest.fixture
def harness() -> Harness:
    return new_harness()
