"""Keeps every worker's index in step with the store, and brings an app that started without one to ready.

Each API process holds its own snapshot (HybridRetriever: chunks, BM25 over the stored tokens, vectors) of
every knowledge base it serves. Every ASSISTANT_REFRESH_SECONDS a background task asks the store for the
documents' stamp of each and rebuilds a snapshot when it changed; while the app has no default index (the
store was down or empty at start), it tries to load it again. Another knowledge base is opened by its first
request (assistant/knowledge_bases.py) and, once deleted from the store, forgotten. The work runs in a thread,
so the event loop never waits on Chroma.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager, suppress

from anyio import to_thread
from fastapi import FastAPI

from assistant.errors import AssistantError, StoreUnavailableError
from assistant.knowledge_bases import KnowledgeBases
from assistant.settings import Settings
from assistant.tolerance import ToleranceService
from assistant.validation import DEFAULT_KB

log = logging.getLogger("assistant.api")


def load_services(app: FastAPI, settings: Settings, from_snapshot: bool = False) -> None:
    """Open the store and put its parts on app.state: `components`, and the `retriever` and `chat` they hold.

    Raises AssistantError (store down, no index…) and leaves app.state as it was. `from_snapshot` (the app's
    start): when the embedded store has not changed since its snapshot was cached, serve that snapshot and
    open the store in the background right after (`check_store`): ready in ~1 s less.
    """
    kbs = registry(app, settings)
    # the model and jieba take seconds to load: a store opened again keeps them (as does every knowledge base)
    kbs.forget(DEFAULT_KB)
    parts = kbs.get(DEFAULT_KB, from_snapshot=from_snapshot)
    try:
        retriever, chat = parts.retriever(), parts.chat()
        parts.tokenizer.load()  # jieba's dictionary (0.3 s from its cache in the index directory): ready means ready
    except AssistantError:
        kbs.forget(DEFAULT_KB)
        raise
    app.state.components, app.state.retriever, app.state.chat = parts, retriever, chat
    app.state.load_error = None
    if not parts.store.opened:  # started from the cached snapshot: now the store of record
        app.state.store_check = threading.Thread(target=check_store, args=(app, settings), name="store-check",
                                                 daemon=True)
        app.state.store_check.start()
    # a second later: started at once, its work competes for the GIL with the server's own start (+0.3 s to ready)
    warm = threading.Timer(WARM_UP_DELAY, _warm, args=(parts.tolerance,))
    warm.name, warm.daemon = "tolerance-warm-up", True
    warm.start()


def registry(app: FastAPI, settings: Settings) -> KnowledgeBases:
    """The app's knowledge bases (app.state.kbs), made on first use."""
    kbs = getattr(app.state, "kbs", None)
    if kbs is None:
        kbs = app.state.kbs = KnowledgeBases(settings)
    return kbs


WARM_UP_DELAY = 1.0  # seconds after the index loads
WARM_UP_SITUATION = "我在推进试点项目时为了赶工期，经班子集体研究后先行实施，没有收任何好处，后来出了差错，能否容错？"


def _warm(tolerance: Callable[[], ToleranceService]) -> None:
    """Build the screener and run one screening in the background: its clause reader, fixed rule queries and
    lexicon are then ready before the first user asks (the first screening after start took 12 s on the
    shared corpus, later ones ~1 s)."""
    try:
        tolerance().assess(WARM_UP_SITUATION)
    except Exception as err:  # noqa: BLE001 - a failed warm-up only means the first request does the work
        log.info("tolerance warm-up skipped: %s", err)


def check_store(app: FastAPI, settings: Settings) -> None:
    """Open the store a start from the cached snapshot left closed, and compare: a change the token missed
    (a writer that died between its commit and the token) is picked up here; a store that is gone or broken
    takes the app out of service as any refresh would."""
    try:
        what = refresh_once(app, settings)
    except Exception as err:  # noqa: BLE001 - said in the log; /readyz answers 503 with the reason
        log.warning("index check after start failed: %s", err)
        return
    log.info("index checked against the store after start: %s", what)


def refresh_once(app: FastAPI, settings: Settings) -> str:
    """One check: 'loaded', 'reopened', 'refreshed' or 'unchanged'. A failure raises and, if the index
    itself is gone, takes the app out of service (until a later check finds it again)."""
    retriever = app.state.retriever
    if retriever is None:
        try:
            load_services(app, settings)
        except AssistantError as err:
            app.state.load_error = err
            raise
        return "loaded"
    try:
        # refresh() builds the new snapshot before swapping it in: if it fails, the old one keeps serving
        return "refreshed" if retriever.refresh() else "unchanged"
    except StoreUnavailableError:
        raise
    except AssistantError:  # collections deleted or made anew (their ids changed): open the store again
        try:
            load_services(app, settings)
        except StoreUnavailableError:
            raise
        except AssistantError as err:
            app.state.components = app.state.retriever = app.state.chat = None
            app.state.load_error = err
            raise
        return "reopened"


def refresh_others(app: FastAPI, settings: Settings) -> dict[str, str]:
    """One check of every other knowledge base this process has opened: name → 'refreshed', 'unchanged',
    'reopened' or 'forgotten' (deleted from the store). A store that is down raises."""
    kbs = registry(app, settings)
    done = {}
    for kb, parts in kbs.loaded().items():
        if kb == DEFAULT_KB:
            continue
        try:
            done[kb] = "refreshed" if parts.refresh() else "unchanged"  # only what a request has loaded
        except StoreUnavailableError:
            raise
        except AssistantError:  # its collections deleted, or made anew: open it again if it is still there
            kbs.forget(kb)
            if kb in kbs.names():
                kbs.get(kb).retriever()
                done[kb] = "reopened"
            else:
                done[kb] = "forgotten"
    return done


async def keep_fresh(app: FastAPI, settings: Settings) -> None:
    """Check every refresh_seconds until cancelled: the default knowledge base, then the others (each even
    when the other failed); failures are logged once per distinct message."""
    failing: dict[str, str | None] = {"default": None, "others": None}
    while True:
        await asyncio.sleep(settings.refresh_seconds)
        for step, check in (("default", refresh_once), ("others", refresh_others)):
            try:
                # not abandoned on cancel: shutdown waits for a check under way, nothing touches app.state after
                what = await to_thread.run_sync(check, app, settings)
            except Exception as err:
                if str(err) != failing[step]:
                    log.warning("index refresh failed: %s", err, exc_info=not isinstance(err, AssistantError))
                failing[step] = str(err)
                continue
            if failing[step] is not None:
                log.info("index refresh recovered")
                failing[step] = None
            if step == "default" and what != "unchanged":
                log.info("index %s: %d chunks", what, len(app.state.retriever.chunks))
            elif step == "others":
                for kb, change in what.items():
                    if change != "unchanged":
                        log.info("knowledge base %s %s", kb, change)


@asynccontextmanager
async def running(app: FastAPI, settings: Settings):
    """Run `keep_fresh` for the app's lifetime (not at all when ASSISTANT_REFRESH_SECONDS=0)."""
    if not settings.refresh_seconds:
        yield
        return
    task = asyncio.create_task(keep_fresh(app, settings), name="index-refresher")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
