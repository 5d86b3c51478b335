"""One real Nova per test session (per xdist worker; ``make test`` keeps these tests on one).

Tests that take the ``nova`` or ``cloud`` fixture are marked ``openstack``. Without the Nova
environment they are skipped locally and FAIL under ``CI=true``: CI must not go green without
having talked to Nova.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from novacloud import CLOUD, Nova, NovaProcess, NovaUnavailable, Vacate, clouds_yaml, wait_for

from vacate.clouds.openstack import OpenStackCloud, open_cloud
from vacate.domain.model import ServiceStatus

NOVA_FIXTURES = {"nova", "nova_process", "cloud", "clouds_file"}
#: The host the drain scenarios empty.
DRAINED = "compute-1"


def pytest_configure(config: pytest.Config) -> None:
    # openstacksdk warns about its own internals on every request.
    config.addinivalue_line("filterwarnings", "ignore::Warning:openstack.*")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and NOVA_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.openstack)
            item.add_marker(pytest.mark.xdist_group("nova"))


@pytest.fixture(scope="session")
def nova_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NovaProcess]:
    log = tmp_path_factory.mktemp("nova") / "nova.log"
    try:
        process = NovaProcess.start(log)
    except NovaUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{exc} (CI=true: the OpenStack tests must run)")
        pytest.skip(str(exc))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def clouds_file(
    nova_process: NovaProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """``OS_CLIENT_CONFIG_FILE`` pointing at a ``clouds.yaml`` for the session's Nova."""
    path = clouds_yaml(tmp_path_factory.mktemp("os") / "clouds.yaml", nova_process.port)
    before = os.environ.get("OS_CLIENT_CONFIG_FILE")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("OS_CLIENT_CONFIG_FILE", None)
    else:
        os.environ["OS_CLIENT_CONFIG_FILE"] = before


@pytest.fixture
def nova(nova_process: NovaProcess) -> Iterator[Nova]:
    """The test's handle on the cloud; the servers it boots are deleted afterwards."""
    handle = Nova(port=nova_process.port)
    yield handle
    handle.cleanup()


@pytest.fixture
def cloud(clouds_file: Path) -> OpenStackCloud:
    """Vacate's backend, opened the way the bootstrap opens it."""
    return open_cloud(CLOUD)


@pytest.fixture
def vacate(clouds_file: Path, tmp_path: Path) -> Vacate:
    return Vacate.for_cloud(clouds_file, tmp_path / "home")


@pytest.fixture
def drained_host(cloud: OpenStackCloud, nova: Nova) -> Iterator[str]:
    """compute-1 with nothing left from other tests on it; back in service afterwards."""
    wait_for(
        "compute-1 to be empty",
        lambda: not [i for i in cloud.list_instances(DRAINED) if i.id not in nova.created],
        60.0,
    )
    yield DRAINED
    if cloud.get_host(DRAINED).service_status is ServiceStatus.DISABLED:
        cloud.enable_service(DRAINED)
