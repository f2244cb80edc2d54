"""Fixtures of the dimension tests: a company on the in-process sandbox, connected or not."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_world import World


@pytest.fixture
def world(unconnected: World) -> World:
    unconnected.connect()
    return unconnected


@pytest.fixture
def unconnected(sandboxed: Any) -> World:  # tests/integration/conftest.py: Sandboxed
    s = sandboxed
    return World(s.container, s.sandbox, s.clock, s.company_id)
