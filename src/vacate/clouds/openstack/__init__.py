"""The OpenStack backend: Vacate's Cloud port over Nova and Placement, through openstacksdk.

The only package of Vacate that imports ``openstack`` (an import contract enforces it).
``open_cloud`` is the one constructor the bootstrap calls; docs/openstack.md describes the
configuration, the microversion and what differs from the simulated cloud.
"""

from __future__ import annotations

from vacate.clouds.openstack.cloud import OpenStackCloud
from vacate.clouds.openstack.connection import open_cloud

__all__ = ["OpenStackCloud", "open_cloud"]
