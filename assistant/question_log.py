"""Optional question log for the organisation's own review: what is asked, and where the knowledge base
falls short. Off unless ASSISTANT_QUESTION_LOG_DIR is set.

One JSON object per line, one file per UTC day (`questions-YYYY-MM-DD.jsonl`): time, request id, route,
the question as asked, refused, mode, confidence, the cited documents (not their text) and, for tolerance
screenings, the outlook; `kb` when the question was asked of a knowledge base other than `default` (a log
written before knowledge bases existed reads the same). Never the client's address, headers, cookies, widget key or the other turns.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request

from assistant.grounding.passage import Passage
from assistant.settings import Settings
from assistant.validation import DEFAULT_KB

log = logging.getLogger("assistant.questions")
FILE_NAME = re.compile(r"^questions-(\d{4}-\d{2}-\d{2})\.jsonl$")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _cited(c: Passage) -> dict:
    """Enough to find the passage again (document, title, article or innermost heading), not its text."""
    where = c.article or c.section.split(" > ")[-1]
    return {"n": c.n, "doc_id": c.doc_id, "title": c.title, "article": where}


class NoQuestionLog:
    """The log when disabled: every hook does nothing."""

    enabled = False

    def answer(self, request: Request, question: str, answer: Any) -> None:
        """Record an /api/chat or /v1/chat/completions answer (an `Answer`)."""

    def stream_done(self, request: Request, question: str, citations: Iterable[Passage], done: Any) -> None:
        """Record a streamed answer at its `done` event (`citations` from the first event)."""

    def tolerance(self, request: Request, situation: str, result: Any) -> None:
        """Record an /api/tolerance screening (a `ToleranceAssessment`)."""


class QuestionLog(NoQuestionLog):
    """Appends under a lock with O_APPEND (one write per line), so threads and worker processes can share
    the directory; a failed write is logged once and never fails the request."""

    enabled = True

    def __init__(self, directory: Path, days: int = 30, clock: Callable[[], datetime] = _utc_now):
        self.directory = Path(directory)
        self.days = days
        self._clock = clock
        self._lock = threading.Lock()
        self._day: date | None = None
        self._failing = False
        try:
            self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as err:
            self._failed(err)
        with self._lock:
            self._prune(self._clock().date())

    def answer(self, request: Request, question: str, answer: Any) -> None:
        screening = getattr(answer, "tolerance", None)
        outlook = screening.outlook if screening is not None else None
        # a screening answered in chat carries a fixed confidence of 1.0: not a retrieval signal
        self.record(request, question, refused=answer.refused, mode=answer.mode, citations=answer.citations,
                    confidence=None if outlook else answer.confidence, outlook=outlook)

    def stream_done(self, request: Request, question: str, citations: Iterable[Passage], done: Any) -> None:
        screening = getattr(done, "tolerance", None)
        self.record(request, question, refused=done.refused, mode=done.mode, citations=citations,
                    outlook=screening.outlook if screening is not None else None)

    def tolerance(self, request: Request, situation: str, result: Any) -> None:
        self.record(request, situation, refused=False, mode=result.mode, citations=result.citations,
                    outlook=result.outlook)

    def record(self, request: Request, question: str, *, refused: bool, mode: str, citations: Iterable = (),
               confidence: float | None = None, outlook: str | None = None) -> None:
        """Append one line; any failure is logged, never raised."""
        try:
            now = self._clock()
            entry = {"time": now.isoformat(timespec="seconds"),
                     "request_id": getattr(request.state, "request_id", ""), "route": request.url.path,
                     "question": question.strip(), "refused": bool(refused), "mode": mode,
                     "confidence": None if confidence is None else round(float(confidence), 3),
                     "citations": [_cited(c) for c in citations]}
            if outlook:
                entry["outlook"] = outlook
            kb = getattr(request.state, "kb", DEFAULT_KB)  # set by the API's dependencies
            if kb != DEFAULT_KB:
                entry["kb"] = kb
            self._append(now.date(), (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        except Exception as err:  # noqa: BLE001 - the log must never cost the user an answer
            self._failed(err)

    def _append(self, day: date, data: bytes) -> None:
        with self._lock:
            if day != self._day:
                self._prune(day)
            fd = os.open(self.directory / f"questions-{day.isoformat()}.jsonl",
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                written = os.write(fd, data)
            finally:
                os.close(fd)
            if written != len(data):
                raise OSError(f"short write: {written} of {len(data)} bytes")
            if self._failing:
                self._failing = False
                log.info("question log writable again: %s", self.directory)

    def _prune(self, today: date) -> None:
        """Delete day files older than the retention (today counts as one day); called with the lock held."""
        self._day = today
        oldest = today - timedelta(days=self.days - 1)
        for path in day_files(self.directory):
            if date.fromisoformat(FILE_NAME.match(path.name)[1]) < oldest:
                try:
                    path.unlink(missing_ok=True)  # another worker may have deleted it first
                except OSError as err:
                    self._failed(err)

    def _failed(self, err: BaseException) -> None:
        if not self._failing:  # once per run of failures, not once per question
            self._failing = True
            log.warning("question log not written (%s): %s", self.directory, err)


def build(settings: Settings) -> NoQuestionLog:
    """The app's question log: a real one when ASSISTANT_QUESTION_LOG_DIR is set, else a no-op."""
    if settings.question_log_dir is None:
        return NoQuestionLog()
    return QuestionLog(settings.question_log_dir, settings.question_log_days)


def day_files(directory: Path) -> list[Path]:
    """The log's day files, oldest first (other files in the directory are left alone)."""
    try:
        names = sorted(p for p in directory.iterdir() if FILE_NAME.match(p.name))
    except OSError:
        return []
    return [p for p in names if _valid_day(p.name)]


def _valid_day(name: str) -> bool:
    try:
        date.fromisoformat(FILE_NAME.match(name)[1])
        return True
    except ValueError:
        return False


def summarise(directory: Path, days: int = 7, top: int = 20, today: date | None = None) -> dict:
    """Counts over the last `days` days (today included) and the most frequent refused questions."""
    today = today or _utc_now().date()
    oldest = today - timedelta(days=days - 1)
    total, refused, questions = 0, 0, Counter()
    for path in day_files(directory):
        if not oldest <= date.fromisoformat(FILE_NAME.match(path.name)[1]) <= today:
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a full disk
            if not isinstance(entry, dict):
                continue
            total += 1
            if entry.get("refused"):
                refused += 1
                questions[entry.get("question", "")] += 1
    return {"days": days, "total": total, "refused": refused, "top_refused": questions.most_common(top)}
