"""Whether a failed read of the Whoosh index or its sidecar means the files are damaged.

A damaged generation is marked (``DAMAGED_FILE``) so that every process reports it and
``reindex --if-needed`` rebuilds it; a bug in Khlang's code or a machine short of files or
memory must not be taken for damage (rebuilding the index for everyone would not help).
"""

from __future__ import annotations

import errno
import os
import pickle
import sqlite3
import struct
import zlib

from whoosh.index import IndexError as WhooshIndexError

from . import sidecar as sc
from .errors import IndexBusy
from .postings import UnreadablePostings

DAMAGED_FILE = "DAMAGED"  # in a generation: a search failed to read it (the reason inside)
# What reading damaged segments or a damaged sidecar raises (zlib, struct, pickle, EOF,
# Whoosh's own errors, SQLite's "malformed"/"not a database"); a bug elsewhere is not
# taken for damage.
_READ_ERRORS = (
    zlib.error,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    OSError,
    ValueError,
    IndexError,
    KeyError,
    sqlite3.DatabaseError,
    sc.SidecarError,
    WhooshIndexError,
    UnreadablePostings,
)


# Errors that a damaged file gives when read, but that a mistake in Khlang's own code
# gives too: damage only when they are raised while reading, inside these libraries.
_AMBIGUOUS_ERRORS = (ValueError, IndexError, KeyError)
_READERS = (f"{os.sep}whoosh{os.sep}", f"{os.sep}pickle.py", f"{os.sep}numpy{os.sep}")


def _raised_in_a_reader(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb.tb_frame, tb.tb_next
    return last is not None and any(part in last.f_code.co_filename for part in _READERS)


# The machine short of something (open files, memory), not the index damaged: rebuilding
# the index for every process would not help, and a later search may well succeed.
RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EAGAIN, errno.EINTR}


def is_damage(exc: BaseException) -> bool:
    if isinstance(exc, IndexBusy) or not isinstance(exc, _READ_ERRORS):
        return False
    if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
        return False
    if isinstance(exc, _AMBIGUOUS_ERRORS) and not _raised_in_a_reader(exc):
        return False  # a bug to fix, not a reason to rebuild the index for everyone
    # another connection writing or checkpointing is not damage
    return not (
        isinstance(exc, sqlite3.OperationalError)
        and any(w in str(exc) for w in ("locked", "busy", "interrupted"))
    )
