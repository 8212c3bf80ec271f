"""Where independent pieces of work run: in this process, in a local process pool, or on Ray.

The planner solves independent parts of a batch (sharing no capacitated facility or lane) and the
what-if runner solves variants through one interface, :class:`Executor`. The standard library's
process pool is the default; Ray is an optional extra (``pip install .[ray]``) for clusters,
chosen with ``ray_address``. Functions and their arguments must be picklable (module-level
functions, plain data).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from routing.errors import ConfigurationError

T = TypeVar("T")
R = TypeVar("R")


class ExecutorError(ConfigurationError):
    """The executor cannot be set up as asked (bad worker count, Ray missing or unreachable)."""


class Executor(Protocol):
    """Runs ``fn`` over ``items`` and returns the results in the order of ``items``."""

    name: str

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]: ...

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """``(index of the item, result)`` pairs as each item finishes (for progress)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Closing:
    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SerialExecutor(_Closing):
    """Runs everything in the calling process, one item after another."""

    name = "serial"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(item) for item in items]

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        for i, item in enumerate(items):
            yield i, fn(item)


class ProcessExecutor(_Closing):
    """A local pool of ``workers`` processes (spawned, so no thread or lock state is forked).

    A single item, or a single worker, runs in the calling process: starting a process costs more
    than it saves then.
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ExecutorError(f"workers must be an int >= 1, got {workers!r}")
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1 or self.workers == 1:
            return [fn(item) for item in items]
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return list(self._pool.map(fn, items))

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        if len(items) <= 1 or self.workers == 1:
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        futures = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayExecutor(_Closing):
    """Ray tasks on the cluster at ``address`` ("local" starts a local Ray instance)."""

    name = "ray"

    def __init__(self, address: str, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ExecutorError(
                "ray_address needs the Ray extra: pip install 'reroute[ray]'"
            ) from exc
        self._ray: Any = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address == "local":
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
            else:
                kwargs["address"] = address
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ExecutorError(f"ray_address {address!r}: {exc}") from exc
            self._started = True

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        remote = self._ray.remote(fn)
        return list(self._ray.get([remote.remote(item) for item in items]))

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        remote = self._ray.remote(fn)
        refs = [remote.remote(item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            done, pending = self._ray.wait(pending, num_returns=1)
            for ref in done:
                yield index[ref], self._ray.get(ref)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_executor(workers: int | None = None, ray_address: str | None = None) -> Executor:
    """The executor for a run: Ray when ``ray_address`` is given, else a local process pool of
    ``workers`` processes (default: the machine's cores)."""
    if ray_address is not None:
        if not ray_address.strip():
            raise ExecutorError("ray_address must not be empty")
        return RayExecutor(ray_address, workers)
    return ProcessExecutor(workers if workers is not None else (os.cpu_count() or 1))
