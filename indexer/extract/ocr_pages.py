"""Where and when the pages of one scan are read by OCR (the reading itself is ocr.py's).

    read_pages(path, numbers, reader, budget=...) -> PagesRead

The pages of a scanned PDF or a multi-page TIFF are read in a bounded pool of worker
processes (``KHLANG_OCR_WORKERS``), each process rendering and reading one page at a time,
so memory stays that of a page per process. Each page has its own time limit
(``KHLANG_OCR_PAGE_SECONDS``): a page past it is left unread and named, with the file, in
the reason; the other pages still count. The document's OCR budget
(``KHLANG_MAX_OCR_SECONDS``) is the sum of its pages' seconds: once spent, pages not yet
started are only listed. A page whose worker dies is read again, alone, and given up only
when it kills a second one; a page its alarm cannot stop has its worker killed past its
limit (``_PagePool``). A job's prefetch worker reads its pages in place, starting no pool.

Who ingests the file may watch the pages go by (``watching``: the job's progress, "page
3/12") and name the file for the reasons (``reading``). On a broker each page is a message
of its own (indexer.ingest.broker_pages): the pages other workers read are handed in with
``using_recorded``, by the name ``reading`` gives (a bundle's members each have theirs),
and only pages missing from them are read here.

``reader`` is ``page_of_pdf`` or ``frame_of_image`` (``READERS``): module-level functions,
so that a worker process can be handed them.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.runtime.workers import in_job_worker, worker_context, worker_pool
from schemas.config import ExtractionLimits

from . import ocr

#: Largest side an image is scaled down to before OCR (speed; tesseract likes ~300 dpi).
OCR_MAX_SIDE = 4000

#: How long past its own limit a page may take before its worker is killed (the alarm that
#: limits it cannot interrupt a decode inside Pillow); pdftoppm and tesseract, stopped by
#: the alarm, are killed within a second.
PAGE_GRACE_SECONDS = 30.0

#: How long a new pool's workers are waited for before its first pages are handed over.
WORKER_START_SECONDS = 120.0

PageReader = Callable[[Path, int], ocr.OcrPage]
Progress = Callable[[int, int], None]  # (pages read, pages to read)

_NAME: ContextVar[str | None] = ContextVar("ocr_file_name", default=None)
_PROGRESS: ContextVar[Progress | None] = ContextVar("ocr_progress", default=None)
_RECORDED: ContextVar[dict | None] = ContextVar("ocr_recorded_pages", default=None)


class PageTimeout(Exception):
    """A page's OCR passed its time limit."""


@dataclass
class PageRead:
    """One page's outcome: its text (``page``) or why it was not read (``error``)."""

    number: int
    page: ocr.OcrPage | None
    error: str | None = None
    seconds: float = 0.0
    timed_out: bool = False
    pid: int | None = None  # the process that read it (None: read elsewhere, on a broker)
    over: bool = False  # not read: the document's OCR budget was spent (on a broker)


@dataclass
class PagesRead:
    read: dict[int, PageRead] = field(default_factory=dict)
    over: list[int] = field(default_factory=list)  # not started: the budget was spent

    def failed(self) -> list[PageRead]:
        return [r for n, r in sorted(self.read.items()) if r.page is None]


# --- who is reading, and who is watching -------------------------------------------------


@contextmanager
def _set(var: ContextVar, value) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def reading(name: str):
    """The file's name as its reasons give it (the staged copy's path names nothing)."""
    return _set(_NAME, name)


def watching(progress: Progress | None):
    """``progress(read, total)`` before the first page and after each page is read."""
    return _set(_PROGRESS, progress)


def using_recorded(pages: dict[str, dict[int, PageRead]]):
    """Pages read already (by other workers, one message each), by the name of the file
    they are of (``reading``: a bundle's members are several): not read again."""
    return _set(_RECORDED, pages)


# --- the reasons --------------------------------------------------------------------------


def timeout_reason(name: str, number: int, seconds: float) -> str:
    return (
        f"อ่านหน้า {number} ของ {name} ด้วย OCR ไม่เสร็จภายใน {seconds:,.0f} วินาที จึงไม่มีข้อความของหน้านี้ "
        f"(OCR of page {number} of {name} passed its limit of {seconds:,.0f} s: "
        "the page has no text)"
    )


def died_reason(name: str, number: int) -> str:
    return (
        f"กระบวนการที่อ่านหน้า {number} ของ {name} ด้วย OCR หยุดทำงานกะทันหัน (หน่วยความจำไม่พอ) "
        f"(the process reading page {number} of {name} by OCR died: out of memory?)"
    )


def ranges(numbers: list[int]) -> str:
    """'3-7,9' for [3, 4, 5, 6, 7, 9]: thousands of page numbers stay one short line."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def over_budget_reason(limit: float, pages: list[int]) -> str:
    shown = ranges(pages)
    return (
        f"หยุดอ่านด้วย OCR เมื่อครบเวลา {limit:,.0f} วินาทีต่อเอกสาร หน้าที่ไม่ได้อ่าน: {shown} "
        f"(OCR stopped at its time limit of {limit:,.0f} s per document; "
        f"pages not read: {shown})"
    )


# --- one page -----------------------------------------------------------------------------


def page_of_pdf(path: Path, number: int) -> ocr.OcrPage:
    """Page ``number`` (1-based) of a PDF, rendered and read, with its text layer."""
    return ocr.ocr_pdf_page_with_confidence(path, number, layer=True)


def ocr_frame(image: Any) -> ocr.OcrPage:
    """OCR the image's current frame, scaled down past OCR_MAX_SIDE, with its text as an
    invisible PDF page for the scan's searchable copy (indexer/preserve/searchable.py)."""
    from PIL import Image, ImageOps

    # JPEG decodes straight to a smaller scale: less memory than decoding whole.
    image.draft("L", (OCR_MAX_SIDE, OCR_MAX_SIDE))
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # transparent pixels are often stored black: laid on white paper, as a viewer shows
        # them, rather than converted, which would make the page one black block
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(paper, rgba)
    work = image.convert("L") if image.mode not in ("L", "RGB") else image
    if max(work.size) > OCR_MAX_SIDE:
        # resized straight from the decoded image: a full-size copy to shrink in place
        # (thumbnail) doubled a large image's memory in each worker
        work = ImageOps.contain(work, (OCR_MAX_SIDE, OCR_MAX_SIDE), Image.Resampling.BICUBIC)
    with tempfile.TemporaryDirectory(prefix="khlang-img-") as tmp:
        png = Path(tmp) / "image.png"
        work.save(png)
        return ocr.ocr_image_page(png, layer=True)


def frame_of_image(path: Path, number: int) -> ocr.OcrPage:
    """Frame ``number`` (1-based) of an image (the pages of a multi-page TIFF)."""
    from PIL import Image

    with Image.open(path) as image:
        image.seek(number - 1)
        return ocr_frame(image)


READERS: dict[str, PageReader] = {"pdf": page_of_pdf, "image": frame_of_image}


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """PageTimeout when the block passes ``seconds``. The alarm interrupts the wait for
    pdftoppm or tesseract, and subprocess.run kills the program it waited for. Off the
    main thread no alarm can be set: read_pages then reads in a worker process, and a
    broker worker running its tasks in threads has only ocr.py's limits per program."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_signum, _frame):
        raise PageTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_one(reader: PageReader, path: Path, number: int, seconds: float, name: str) -> PageRead:
    """One page within its time limit; what went wrong is the page's, not the document's."""
    started, pid = time.monotonic(), os.getpid()
    try:
        with _deadline(seconds):
            page = reader(path, number)
    except PageTimeout:
        spent = time.monotonic() - started
        return PageRead(number, None, timeout_reason(name, number, seconds), spent, True, pid)
    except ocr.OcrUnavailable as exc:
        return PageRead(number, None, str(exc), time.monotonic() - started, pid=pid)
    return PageRead(number, page, None, time.monotonic() - started, pid=pid)


def _ready(_reader: PageReader) -> int:
    time.sleep(0.05)  # long enough that every worker, not the first up alone, answers
    return os.getpid()


def _page_worker() -> None:
    # Pages are already read side by side: a tesseract spreading one page over every core
    # (OpenMP) would only take turns with its neighbours.
    os.environ["OMP_THREAD_LIMIT"] = "1"


# --- the pages of a document --------------------------------------------------------------


def read_pages(path: Path, numbers: list[int], reader: PageReader, *, budget: float) -> PagesRead:
    """Read ``numbers`` (1-based pages) of ``path`` by OCR: in a pool of worker processes
    when there are two pages or more to read and ``KHLANG_OCR_WORKERS`` > 1 (or when this
    is not the main thread), else in this process; pages recorded already
    (``using_recorded``) are taken as they are."""
    limits = ExtractionLimits.load()
    name = _NAME.get() or path.name
    recorded = (_RECORDED.get() or {}).get(_NAME.get(), {})
    tell = _PROGRESS.get()
    result = PagesRead()
    todo = deque(n for n in numbers if n not in recorded)
    spent = 0.0

    def done(page: PageRead) -> None:
        nonlocal spent
        result.read[page.number] = page
        spent += page.seconds
        if tell is not None:
            tell(len(result.read), len(numbers))

    for number in numbers:
        if number in recorded:
            if recorded[number].over:  # a broker's worker found the budget spent
                result.over.append(number)
            else:
                done(recorded[number])
    if tell is not None and todo:
        tell(len(result.read), len(numbers))
    seconds = limits.ocr_page_seconds
    workers = min(limits.ocr_workers, len(todo))
    # In place only where the page's alarm can be set (the main thread); a job in a web
    # server's thread hands even a single page to a worker, so its time limit still holds.
    # A job's worker process (prefetch) reads in place too: a pool in each would multiply
    # the processes on the machine.
    on_main = threading.current_thread() is threading.main_thread()
    if (workers <= 1 or in_job_worker()) and (not todo or on_main):
        while todo:
            if spent >= budget:
                result.over.extend(todo)
                break
            done(read_one(reader, path, todo.popleft(), seconds, name))
        return result
    pages = _PagePool(max(workers, 1), limits.worker_memory, seconds, name, reader)
    try:
        while todo or pages.busy():
            while todo and pages.free():
                if spent >= budget:
                    result.over.extend(todo)
                    todo.clear()
                    break
                pages.submit(path, todo.popleft())
            for page in pages.finished():
                done(page)
            todo.extendleft(reversed(pages.returned()))
    finally:
        pages.close()
    return result


class _PagePool:
    """The page workers of one document, and what to do when one of them goes wrong.

    - A worker that dies (killed, out of memory) breaks the pool: a new pool is started,
      and the pages that were in flight are read again, each alone, since any of them may
      have killed it. Only a page that was in flight when a pool broke twice is given up
      (``died_reason``); pages still waiting were never tried and are read as usual.
    - The alarm that limits a page cannot interrupt a decode inside Pillow: a page not
      back ``PAGE_GRACE_SECONDS`` after its limit has its pool killed and gets the
      timeout reason; the others in flight are read again in a new pool.
    """

    def __init__(
        self, workers: int, memory: int | None, seconds: float, name: str, reader: PageReader
    ):
        self.workers, self.memory, self.seconds, self.name = workers, memory, seconds, name
        self.reader = reader
        self.context = worker_context()  # asked once: a started pool runs threads
        self.pool = self._new()
        self.pending: dict[Future, tuple[int, float]] = {}  # future: (page, started)
        self.suspects: deque[int] = deque()  # in flight when a pool broke: read alone
        self.broke: dict[int, int] = {}  # page: pools broken while it was in flight
        self.back: list[int] = []  # innocent pages to read again
        self.given_up: list[PageRead] = []

    def _new(self) -> ProcessPoolExecutor:
        pool = worker_pool(self.workers, self.context, _page_worker, memory=self.memory)
        # A page's clock starts when it is handed over: were the workers still starting
        # (a new interpreter, and the reader's module imported to unpickle it: seconds on
        # a loaded machine), that start would be charged to the first pages, and under a
        # short limit the wrong page blamed and killed. So the reader is handed to each
        # worker once, and answered for, before any page.
        answered: set[int] = set()
        until = time.monotonic() + WORKER_START_SECONDS
        while len(answered) < self.workers and time.monotonic() < until:
            ready = [pool.submit(_ready, self.reader) for _ in range(self.workers)]
            done, _ = wait(ready, timeout=max(0.0, until - time.monotonic()))
            if any(future.exception() for future in done):
                break  # a pool that cannot start says so with its first page
            answered.update(future.result() for future in done)
        return pool

    def busy(self) -> bool:
        return bool(self.pending or self.suspects or self.given_up or self.back)

    def free(self) -> bool:
        """Room for a page waiting: not while a suspect waits or is read alone."""
        alone = any(number in self.broke for number, _started in self.pending.values())
        return not self.suspects and not alone and len(self.pending) < self.workers

    def submit(self, path: Path, number: int) -> None:
        self.path = path
        reader = self.reader
        try:
            future = self.pool.submit(read_one, reader, path, number, self.seconds, self.name)
        except BrokenProcessPool:
            if self.pending:  # their failure is waited for, and starts the next pool
                self.back.append(number)
                return
            self._broken()
            future = self.pool.submit(read_one, reader, path, number, self.seconds, self.name)
        self.pending[future] = (number, time.monotonic())

    def returned(self) -> list[int]:
        """Pages to be submitted again with the pages waiting (in page order, first)."""
        back, self.back = sorted(self.back), []
        return back

    def finished(self) -> list[PageRead]:
        """The pages done (read, failed, given up) once at least one is."""
        if self.given_up:
            gone, self.given_up = self.given_up, []
            return gone
        if not self.pending and self.suspects:
            self.submit(self.path, self.suspects.popleft())
        if not self.pending:
            return []
        deadline = min(started for _n, started in self.pending.values()) + self.seconds
        timeout = max(0.0, deadline + PAGE_GRACE_SECONDS - time.monotonic())
        finished, _ = wait(self.pending, timeout=timeout, return_when=FIRST_COMPLETED)
        if not finished:
            return [self._overdue()]
        read, broken = [], False
        for future in finished:
            number, _started = self.pending.pop(future)
            try:
                read.append(future.result())
            except BrokenProcessPool:
                broken = True
                self._charge(number)
        if broken:
            for number, _started in self.pending.values():
                self._charge(number)
            self.pending.clear()
            self._broken()
        return read

    def _charge(self, number: int) -> None:
        self.broke[number] = self.broke.get(number, 0) + 1
        if self.broke[number] >= 2:
            self.given_up.append(PageRead(number, None, died_reason(self.name, number)))
        else:
            self.suspects.append(number)

    def _broken(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def _overdue(self) -> PageRead:
        """The oldest page in flight passed its limit and grace: its pool is killed."""
        future, (number, started) = min(self.pending.items(), key=lambda item: item[1][1])
        del self.pending[future]
        self.back.extend(n for n, _s in self.pending.values())
        self.pending.clear()
        self._kill()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new()
        spent = time.monotonic() - started
        return PageRead(number, None, timeout_reason(self.name, number, self.seconds), spent, True)

    def _kill(self) -> None:
        # ProcessPoolExecutor has no public way to stop a running call before Python 3.14
        # (kill_workers): its processes are killed one by one
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.kill()

    def close(self) -> None:
        """The pool ended; left with pages in flight (an exception), its workers are killed
        rather than waited for."""
        if self.pending:
            self._kill()
        self.pool.shutdown(wait=True, cancel_futures=True)
