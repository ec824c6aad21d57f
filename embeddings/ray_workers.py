"""Fan-out over a Ray cluster: one actor per CPU of the cluster, each with
its own engine (`embeddings.pool` drives them). Ray is an optional extra:
`pip install '.[ray]'`, the same on every node."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

import numpy as np

from embeddings.base import Embedder
from embeddings.pool import Done, EngineFactory, WorkerError


class Engine:
    """What each actor is: an engine of its own, embedding one job at a time."""

    def __init__(self, factory: EngineFactory):
        self._engine = factory()

    def pid(self) -> int:
        return os.getpid()

    def encode(self, job: int, texts: list[str]) -> tuple[int, np.ndarray]:
        return job, np.asarray(self._engine.encode(texts, "document"), dtype=np.float32)


class RayWorkers:
    """Actors on the cluster at `address` (a CPU each); `size` defaults to the cluster's CPUs."""

    def __init__(self, address: str, factory: EngineFactory, size: int | None = None):
        try:
            import ray
        except ImportError as exc:
            raise WorkerError("Ray is not installed: pip install 'interview-qa[ray]' "
                              "(the same version on every node of the cluster)") from exc
        self._ray = ray
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(address=address, log_to_driver=False, logging_level="warning")
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise WorkerError(f"cannot join the Ray cluster at {address}: {exc}") from exc
        self.size = size or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._actor = ray.remote(num_cpus=1, max_restarts=0)(Engine)
        self._factory = factory
        self._actors: list[Any] = [self._actor.remote(factory) for _ in range(self.size)]
        self._pids = ray.get([actor.pid.remote() for actor in self._actors])  # and waits for them
        self._refs: dict[Any, int] = {}  # job in flight → its slot

    def submit(self, slot: int, job: int, texts: list[str]) -> None:
        self._refs[self._actors[slot].encode.remote(job, texts)] = slot

    def wait(self) -> list[Done]:
        ray = self._ray
        refs = list(self._refs)
        ray.wait(refs, num_returns=1)  # blocks until one is done
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        done: list[Done] = []
        dead: set[int] = set()
        for ref in ready:
            slot = self._refs.pop(ref, None)
            if slot is None or slot in dead:
                continue
            try:
                job, vectors = ray.get(ref)
            except ray.exceptions.RayActorError:  # its actor died, or its node
                dead.add(slot)
                done.append((slot, -1, None))
                continue
            except ray.exceptions.RayTaskError as exc:
                raise WorkerError(f"embedding actor {slot} failed: {exc}") from exc
            done.append((slot, job, vectors))
        return done

    def replace(self, slot: int) -> None:
        self._refs = {ref: s for ref, s in self._refs.items() if s != slot}  # the dead actor's
        self._kill(self._actors[slot])
        self._actors[slot] = self._actor.remote(self._factory)
        self._pids[slot] = self._ray.get(self._actors[slot].pid.remote())

    def _kill(self, actor: Any) -> None:
        with contextlib.suppress(Exception):  # gone already, with its node
            self._ray.kill(actor, no_restart=True)

    def pids(self) -> list[int]:
        return list(self._pids)

    def close(self) -> None:
        for actor in self._actors:
            self._kill(actor)
        self._actors, self._refs = [], {}
        self._ray.shutdown()


def _check_reachable(address: str, seconds: float = 10) -> None:
    """Fail at once where nothing listens at `host:port` (`ray.init` waits minutes for it)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # `auto`, `ray://…`: Ray's own to resolve
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as exc:
        raise WorkerError(f"no Ray cluster answers at {address} ({exc}): start one with "
                          f"`ray start --head --port {port}`, or give the head's address") from exc


def ray_pool(local: Embedder, factory: EngineFactory, address: str, size: int | None = None):
    from functools import partial

    from embeddings.pool import FanOutEmbedder

    return FanOutEmbedder(local, partial(RayWorkers, address, factory, size))
