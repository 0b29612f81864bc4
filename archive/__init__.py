"""The preserved-file store: originals kept once by sha256, written atomically, never modified."""

from archive.store import ObjectStore, StoredObject

__all__ = ["ObjectStore", "StoredObject"]
