"""Fixtures of the export tests (the world itself is in ``export_world``)."""

from __future__ import annotations

from typing import Any

import pytest
from export_world import SETTINGS, Exporting
from sandbox_world import World


@pytest.fixture
def exporting(world: World) -> Exporting:
    world.sync("full")
    with world.container.uow() as uow:
        uow.export_settings.save(world.company_id, SETTINGS, actor="test")
        uow.commit()
    return Exporting(world)


@pytest.fixture
def world(unconnected: World) -> World:
    unconnected.connect()
    return unconnected


@pytest.fixture
def unconnected(sandboxed: Any) -> World:
    s = sandboxed
    return World(s.container, s.sandbox, s.clock, s.company_id)
