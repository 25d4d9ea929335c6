"""One manual-clock simulator for the fault tests (each in its own namespace); faults are cleared after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.clock import Clock
from simulator.server import start_simulator
from tests.simulator.controllers.conftest import Cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    with start_simulator(seed=21, clock=Clock.manual(start=1_767_225_600.0)) as sim:
        yield Cluster(sim)


@pytest.fixture(autouse=True)
def _no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "cluster" in request.fixturenames:
        cluster = request.getfixturevalue("cluster")
        cluster.sim.faults.clear("all")
        cluster.settle()
