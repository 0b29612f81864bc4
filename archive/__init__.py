"""The preserved-file store: originals kept once by sha256, written atomically, never modified."""

from archive.store import FileTooLarge, ObjectStore, Staged, StoredObject

__all__ = ["FileTooLarge", "ObjectStore", "Staged", "StoredObject"]
