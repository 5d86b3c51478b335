"""Opening a cloud the OpenStack way: ``clouds.yaml``, ``OS_CLOUD`` and the ``OS_*`` variables.

openstacksdk's own discovery finds the configuration (``OS_CLIENT_CONFIG_FILE``,
``./clouds.yaml``, ``~/.config/openstack/``, ``/etc/openstack/``), including
``auth_type: none`` with ``compute_endpoint_override`` and ``placement_endpoint_override``.
Whatever goes wrong while connecting becomes one ``SetupError`` line that names the cloud and
what to check — never a traceback, never a credential.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import openstack.config
import openstack.connection
import openstack.exceptions
from keystoneauth1 import exceptions as ks_exc

from vacate.clouds.openstack.api import (
    EVACUATE_MICROVERSION,
    MICROVERSION,
    MIN_MICROVERSION,
    PLACEMENT_MICROVERSION,
    Api,
    version_text,
)
from vacate.clouds.openstack.cloud import OpenStackCloud
from vacate.domain.errors import SetupError

#: Seconds before a request that got no answer is given up (openstacksdk's default is never).
DEFAULT_TIMEOUT_S = 30.0
_SECRET = re.compile(r"(//[^/@\s]*:[^/@\s]*@)|(\?\S*)")


#: urllib3's retelling of a connection failure, after keystoneauth's own sentence.
_NOISE = re.compile(r":? ?(HTTP(S)?ConnectionPool\(|\(Caused by ).*$")
# keystoneauth and openstacksdk log their retries as warnings; with no handler of the
# application's, Python would print them next to Vacate's one-line error.
for _name in ("keystoneauth", "openstack"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def _clean(text: str) -> str:
    """One line, without URL credentials, query strings or urllib3's retelling."""
    line = " ".join(_SECRET.sub(lambda m: "//" if m.group(1) else "", text).split())
    return _NOISE.sub("", line)[:300]


def _label(cloud_name: str | None) -> str:
    return (
        f"OpenStack cloud {cloud_name!r}" if cloud_name else "the OpenStack cloud (OS_* settings)"
    )


def _region(cloud_name: str | None) -> Any:
    config = openstack.config.OpenStackConfig(load_envvars=True)
    region = config.get_one(cloud=cloud_name)
    if region.config.get("api_timeout") is None:
        region.config["api_timeout"] = DEFAULT_TIMEOUT_S
    return region


def _compute_version(conn: Any) -> tuple[int, int]:
    data = conn.compute.get_endpoint_data()
    found = getattr(data, "max_microversion", None) if data is not None else None
    if not found:
        raise SetupError(
            "its compute endpoint announces no microversions (Nova's v2.1 API is needed)"
        )
    return (int(found[0]), int(found[1]))


def open_cloud(cloud_name: str | None = None) -> OpenStackCloud:
    """Connect to ``cloud_name`` (default: ``OS_CLOUD``, else the ``OS_*`` variables) and check
    that its Nova speaks a microversion Vacate can read."""
    label = _label(cloud_name)
    try:
        conn = openstack.connection.Connection(config=_region(cloud_name))
        version = _compute_version(conn)
        conn.placement.get_endpoint()
    except SetupError as exc:
        raise SetupError(f"{label}: {exc}") from None
    except ks_exc.EndpointNotFound as exc:
        raise SetupError(
            f"{label}: no endpoint for {_clean(str(exc)) or 'compute or placement'}: check the "
            "catalog or set compute_endpoint_override and placement_endpoint_override"
        ) from None
    except (
        ks_exc.MissingRequiredOptions,
        ks_exc.NoMatchingPlugin,
        ks_exc.MissingAuthPlugin,
    ) as exc:
        raise SetupError(
            f"{label} is not configured: {_clean(str(exc))}; set OS_CLOUD to a cloud of "
            "clouds.yaml (or OS_CLIENT_CONFIG_FILE), or the OS_AUTH_URL family"
        ) from None
    except ks_exc.Unauthorized:
        raise SetupError(f"{label} refused the credentials: check them in clouds.yaml") from None
    except ks_exc.ClientException as exc:
        raise SetupError(f"{label} cannot be reached: {_clean(str(exc))}") from None
    except openstack.exceptions.SDKException as exc:
        raise SetupError(f"{label}: {_clean(str(exc))}") from None
    except (OSError, ValueError) as exc:
        raise SetupError(f"{label}: cannot read its configuration: {_clean(str(exc))}") from None
    if version < MIN_MICROVERSION:
        raise SetupError(
            f"{label}: Nova speaks compute microversions up to {version_text(version)}; "
            f"Vacate needs {version_text(MIN_MICROVERSION)} or later"
        )
    microversion = version_text(min(version, MICROVERSION))
    compute = Api(conn.compute, microversion=microversion)
    placement = Api(conn.placement, microversion=PLACEMENT_MICROVERSION)
    evacuate = version_text(EVACUATE_MICROVERSION) if version >= EVACUATE_MICROVERSION else None
    return OpenStackCloud(
        compute, placement, name=cloud_name or "openstack", evacuate_microversion=evacuate
    )
