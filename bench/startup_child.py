"""The measuring side of ``bench/startup.py``, run in a fresh process on the tree under test
(which it finds first on ``sys.path``): nothing here imports the bench's own tree."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback

STEP = 0.25  # seconds between requests
LIMIT = 3.0  # Discord's: an interaction is answered (or deferred) within this


def _idle(innermost: str) -> bool:
    """A thread waiting for work (a pool's idle worker, the watchdog itself)."""
    return any(s in innermost for s in ("threading.py", "futures/thread.py", "queue.py"))


class Watchdog(threading.Thread):
    """Samples the loop thread's stack while the loop is late (a heartbeat would be)."""

    def __init__(self, loop_thread: int) -> None:
        super().__init__(daemon=True)
        self.loop_thread = loop_thread
        self.beat = time.perf_counter()
        self.stalls: dict[str, float] = {}
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            time.sleep(0.02)
            late = time.perf_counter() - self.beat
            if late > 0.1:
                frames = sys._current_frames()
                frame = frames.get(self.loop_thread)
                if frame is not None:
                    where = "".join(traceback.format_stack(frame, limit=6)[-4:])
                    if "selectors.py" in where:  # the loop waits for the interpreter: who has it
                        others = [
                            "".join(traceback.format_stack(f, limit=3)[-2:])
                            for ident, f in frames.items()
                            if ident not in (self.loop_thread, threading.get_ident())
                            and not _idle(traceback.format_stack(f, limit=1)[-1])
                        ]
                        where += "  busy threads:\n" + "".join(others)
                    self.stalls[where] = max(self.stalls.get(where, 0.0), late)


async def measure(
    db: str, seconds: float, letters_dir: str, index_dir: str = "off"
) -> dict[str, object]:
    """In a fresh process: the bot's start on ``db``, with requests arriving meanwhile.
    ``index_dir``: where the built indexes are saved and loaded from (``off``: nowhere; a
    tree without saved indexes ignores it)."""
    import resource

    from bot.chat.client import tune_for_latency
    from bot.core.errors import UserError
    from bot.services.app import Services
    from bot.services.scope import OPERATOR
    from bot.settings import Settings

    loop = asyncio.get_running_loop()
    tune_for_latency(loop)
    dog = Watchdog(threading.get_ident())
    dog.start()
    lags: list[float] = []
    ready: dict[str, float] = {}
    started = time.perf_counter()

    async def monitor() -> None:
        while True:
            t = loop.time()
            dog.beat = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(max(0.0, loop.time() - t - 0.01) * 1000)

    mon = asyncio.create_task(monitor())
    import bot

    settings = Settings(
        BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=letters_dir, BRIEFBOT_INDEX_DIR=index_dir
    )
    services = await Services.open(settings, seed=False)
    opened = time.perf_counter() - started
    try:  # as Services.start does once the bot serves interactions
        from bot.services.lazy import READY_WAIT

        services.quotes.ready_wait = services.answers.ready_wait = READY_WAIT
    except ImportError:  # today's code: a request waits for the index
        pass
    warm_started = time.perf_counter()

    async def warm() -> None:  # what the client does after connecting
        try:
            await services.warm(vectors=False)
        except TypeError:  # today's code: warm() also fills in missing vectors (none here)
            await services.warm()
        ready["warm"] = time.perf_counter() - warm_started

    async def watch_ready() -> None:
        while "quote" not in ready or "ask" not in ready:
            if "quote" not in ready and services.quotes._index.value is not None:
                ready["quote"] = time.perf_counter() - warm_started
            if "ask" not in ready and services.answers._indexes.value is not None:
                ready["ask"] = time.perf_counter() - warm_started
            await asyncio.sleep(0.01)

    texts = []
    async for rec in services.store.letters.iter_all_sentences(batch=500):
        if rec.id % 97 == 0:
            texts.append(rec.text)
        if len(texts) >= 200:
            break
    outcomes: list[tuple[str, float, str]] = []  # kind, seconds, how

    async def request(kind: str, text: str) -> None:
        t = time.perf_counter()
        try:
            if kind == "quote":
                coro = services.quotes.find(" ".join(text.split()[:8]), scope=OPERATOR)
            else:
                coro = services.answers.ask(" ".join(text.split()[:10]), scope=OPERATOR)
            result = await asyncio.wait_for(coro, LIMIT)
            how = "answered" if result else "empty"
        except TimeoutError:
            how = "timeout"
        except UserError as exc:
            how = f"refused:{getattr(exc, 'key', type(exc).__name__)}"
        outcomes.append((kind, time.perf_counter() - t, how))

    warm_task = asyncio.create_task(warm())
    watcher = asyncio.create_task(watch_ready())
    pending: list[asyncio.Task[None]] = []
    i = 0
    while time.perf_counter() - warm_started < seconds or not warm_task.done():
        text = texts[i % len(texts)]
        pending.append(asyncio.create_task(request("quote" if i % 2 == 0 else "ask", text)))
        i += 1
        await asyncio.sleep(STEP)
        if time.perf_counter() - warm_started > 600:
            break
    await asyncio.gather(*pending)
    await warm_task
    watcher.cancel()
    mon.cancel()
    dog.stop = True
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cache = getattr(services, "index_cache", None)
    loads = dict(cache.last_load) if cache is not None else {}
    t = time.perf_counter()
    await services.close()  # waits for an index being saved
    closed = time.perf_counter() - t
    lags.sort()
    return {
        "open_s": opened,
        "ready": ready,
        "lag_max_ms": lags[-1] if lags else 0.0,
        "lag_p99_ms": lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
        "stalls_over_100ms": sum(1 for x in lags if x > 100),
        "requests": len(outcomes),
        "within_3s": sum(1 for _, s, how in outcomes if how != "timeout" and s <= LIMIT),
        "answered": sum(1 for _, _, how in outcomes if how in ("answered", "empty")),
        "loading_replies": sum(1 for _, _, how in outcomes if how.startswith("refused")),
        "slowest_s": max((s for _, s, _ in outcomes), default=0.0),
        "peak_rss_mib": rss,
        "stalls": dog.stalls,
        "tree": str(bot.__file__),
        "index_loads": loads,
        "close_s": closed,
    }
