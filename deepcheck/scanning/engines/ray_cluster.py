"""Reaching a Ray cluster: is Ray installed, where is the cluster, is it up, how many workers fit.

Split from ray_engine.py, which drives the scan once connected. Everything here
fails fast with an ``EngineError`` that says what to do, because ``ray.init``
itself retries for minutes against an address where nothing listens.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

RAY_MISSING = (
    'Ray is not installed. Install the optional extra: pip install -e ".[ray]" '
    '(or pip install "deepcheck[ray]"), then run again.'
)
CONNECT_TIMEOUT_S = 10.0


class EngineError(RuntimeError):
    """The Ray engine cannot run (no Ray, no cluster, workers cannot start); fatal for the scan."""


@dataclass
class RayOptions:
    """How to use the cluster. None of this changes a single score."""

    address: str | None = None  # None: Ray's own rules (RAY_ADDRESS, a local `ray start`, else a new local Ray)
    actors: int | None = None  # None: one per `cpus_per_actor` CPUs (one per GPU with --device cuda)
    cpus_per_actor: float = 1.0
    max_attempts: int = 3  # worker deaths on one file before it gets an error record
    start_timeout_s: float = 600.0  # workers must be placed and have loaded the model by then
    log_to_driver: bool = True


def require_ray():
    """Import Ray or explain how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise EngineError(RAY_MISSING) from exc
    return ray


def connect(ray, options: RayOptions) -> bool:
    """Join the cluster; True when this call started Ray (so it also stops it)."""
    import logging

    if ray.is_initialized():
        return False
    address = options.address
    target = _resolved_address(address)
    if target:
        where = "" if address else " (RAY_ADDRESS or the last `ray start` here; --address local ignores it)"
        _check_reachable(target, where)
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=options.log_to_driver,
            logging_level=logging.WARNING,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise EngineError(
            f"cannot connect to Ray at {target or address or 'a new local Ray'}: {first_line(exc)}. If the cluster "
            "uses token authentication, set RAY_AUTH_MODE=token and give this machine the cluster's token "
            "(~/.ray/auth_token or RAY_AUTH_TOKEN); see the README, section 'Scanning on a Ray cluster'"
        ) from exc
    return True


def _resolved_address(address: str | None) -> str | None:
    """The HOST:PORT ray.init will dial by Ray's own rules, or None when it will start a local Ray."""
    if address == "local":
        return None
    if address and address != "auto":
        return address
    try:  # Ray's own lookup (RAY_ADDRESS, then /tmp/ray/ray_current_cluster); private, so guarded
        from ray._private.services import canonicalize_bootstrap_address

        return canonicalize_bootstrap_address(address)
    except Exception:
        return None  # let ray.init decide and report


def _check_reachable(address: str, where: str = "") -> None:
    """Fail in seconds, not minutes, when nothing listens at ``host:port`` (ray.init retries for long)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise EngineError(
            f"--address must be HOST:PORT of the Ray head node (as printed by `ray start --head`), got {address!r}"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise EngineError(
            f"no Ray cluster answers at {address}{where} ({exc.strerror or exc}); start one with "
            "`ray start --head` and pass the address it prints"
        ) from exc


def cluster_info(ray) -> dict[str, Any]:
    resources = ray.cluster_resources()
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return {
        "address": ray.get_runtime_context().gcs_address,
        "nodes": len(nodes),
        "cpus": resources.get("CPU", 0.0),
        "gpus": resources.get("GPU", 0.0),
    }


def actor_count(options: RayOptions, settings, cluster: dict[str, Any], files: int) -> int:
    gpu = str(settings.device).startswith("cuda")
    capacity = int(cluster["gpus"]) if gpu else int(cluster["cpus"] // options.cpus_per_actor)
    if capacity < 1:
        need = "a GPU" if gpu else f"{options.cpus_per_actor:g} CPUs"
        raise EngineError(f"the Ray cluster has no room for one worker (each needs {need}): {cluster}")
    wanted = options.actors or capacity
    if wanted > capacity:
        raise EngineError(
            f"{wanted} Ray workers do not fit: the cluster has {cluster['cpus']:g} CPUs and {cluster['gpus']:g} GPUs "
            f"({options.cpus_per_actor:g} CPUs{' and 1 GPU' if gpu else ''} per worker)"
        )
    return max(0, min(wanted, files))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
