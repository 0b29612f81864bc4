"""Where and when the pages of one scan are read by OCR (the reading itself is ocr.py's).

    read_pages(path, numbers, reader, budget=...) -> PagesRead

The pages of a scanned PDF or a multi-page TIFF are read in a bounded pool of worker
processes (``KHLANG_OCR_WORKERS``), each process rendering and reading one page at a time,
so memory stays that of a page per process. Each page has its own time limit
(``KHLANG_OCR_PAGE_SECONDS``): a page past it is left unread and named, with the file, in
the reason; the other pages still count. The document's OCR budget
(``KHLANG_MAX_OCR_SECONDS``) is the sum of its pages' seconds: once spent, pages not yet
started are only listed.

Who ingests the file may watch the pages go by (``watching``: the job's progress, "page
3/12") and name the file for the reasons (``reading``). On a broker each page is a message
of its own (indexer.ingest.broker_pages): the pages other workers read are handed in with
``using_recorded``, and only pages missing from them are read here.

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
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.runtime.workers import worker_context, worker_pool
from schemas.config import ExtractionLimits

from . import ocr

#: Largest side an image is scaled down to before OCR (speed; tesseract likes ~300 dpi).
OCR_MAX_SIDE = 4000

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


def using_recorded(pages: dict[int, PageRead]):
    """Pages read already (by other workers, one message each): not read again."""
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
    recorded = _RECORDED.get() or {}
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
    if workers <= 1 and (not todo or threading.current_thread() is threading.main_thread()):
        while todo:
            if spent >= budget:
                result.over.extend(todo)
                break
            done(read_one(reader, path, todo.popleft(), seconds, name))
        return result
    workers = max(workers, 1)
    pool = worker_pool(workers, worker_context(), _page_worker, memory=limits.worker_memory)
    pending: dict = {}
    broken = False
    with pool:
        while todo or pending:
            while todo and len(pending) < workers and not broken:
                if spent >= budget:
                    result.over.extend(todo)
                    todo.clear()
                    break
                number = todo.popleft()
                try:
                    future = pool.submit(read_one, reader, path, number, seconds, name)
                except BrokenProcessPool:
                    broken = True
                    todo.appendleft(number)
                    break
                pending[future] = number
            if broken and not pending:
                # the pool is lost (a worker killed, out of memory): the rest go unread
                for number in todo:
                    done(PageRead(number, None, died_reason(name, number)))
                todo.clear()
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                number = pending.pop(future)
                try:
                    done(future.result())
                except BrokenProcessPool:
                    broken = True
                    done(PageRead(number, None, died_reason(name, number)))
    return result
