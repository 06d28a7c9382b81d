"""Wall and CPU seconds of a run's stages, for its progress lines and for ``make bench``."""

from __future__ import annotations

import time
from typing import Callable


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of the processes it has waited for (workers, the data build)."""
    try:
        import resource
    except ImportError:  # not on Windows: this process only
        return time.process_time()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stopwatch(timings: dict[str, float]) -> Callable[[str], None]:
    """``lap(stage)`` adds the wall seconds since the last lap to ``timings[stage]`` and the CPU seconds (workers
    included) to ``timings["cpu:" + stage]``."""
    last = [time.perf_counter(), cpu_seconds()]

    def lap(stage: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        timings[stage] = timings.get(stage, 0.0) + wall - last[0]
        timings[f"cpu:{stage}"] = timings.get(f"cpu:{stage}", 0.0) + cpu - last[1]
        last[:] = [wall, cpu]

    return lap
