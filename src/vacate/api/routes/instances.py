"""Instances: all of them, or one host's, one with its migrations; the server groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from vacate.api.answers import ok
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import HOST_READ_ERRORS, READ_ERRORS, HostPath
from vacate.api.schemas import InstanceDetail, InstanceOut, ServerGroupOut
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.engine import commands
from vacate.engine.views import group_names
from vacate.serialize import instance_to_dict, migration_to_dict, server_group_to_dict

router = APIRouter(prefix="/v1", tags=["instances"])
Svc = Annotated[Services, Depends(services)]


@router.get("/instances", response_model=list[InstanceOut], responses=HOST_READ_ERRORS)
def list_instances(
    caller: Annotated[Caller, policy(Role.READER, "instances.list")],
    svc: Svc,
    host: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> JSONResponse:
    """Every instance, or only those of ``host`` (exact name; an unknown one is 404)."""
    ctx = svc.read_ctx()
    name = None if host is None else commands.exact_host(ctx, host)
    groups = group_names(ctx)
    return ok([instance_to_dict(i, groups=groups) for i in ctx.cloud.list_instances(name)])


@router.get("/hosts/{host}/instances", response_model=list[InstanceOut], responses=HOST_READ_ERRORS)
def host_instances(
    host: HostPath, caller: Annotated[Caller, policy(Role.READER, "instances.list")], svc: Svc
) -> JSONResponse:
    """The instances on one host."""
    ctx = svc.read_ctx()
    name = commands.exact_host(ctx, host)
    groups = group_names(ctx)
    return ok([instance_to_dict(i, groups=groups) for i in ctx.cloud.list_instances(name)])


@router.get("/instances/{instance_id}", response_model=InstanceDetail, responses=HOST_READ_ERRORS)
def show_instance(
    instance_id: Annotated[
        str, Path(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/]+$")
    ],
    caller: Annotated[Caller, policy(Role.READER, "instances.show")],
    svc: Svc,
) -> JSONResponse:
    """One instance (by id) and the migrations the cloud reports for it."""
    ctx = svc.read_ctx()
    inst = commands.exact_instance(ctx, instance_id)
    data = instance_to_dict(inst, groups=group_names(ctx))
    data["migrations"] = [
        migration_to_dict(m) for m in ctx.cloud.list_migrations(instance_id=inst.id)
    ]
    return ok(data)


@router.get("/server-groups", response_model=list[ServerGroupOut], responses=READ_ERRORS)
def list_server_groups(
    caller: Annotated[Caller, policy(Role.READER, "server-groups.list")], svc: Svc
) -> JSONResponse:
    """Every server group: its id, name and policy (the CLI shows names, not ids)."""
    return ok([server_group_to_dict(g) for g in svc.read_ctx().cloud.list_server_groups()])
