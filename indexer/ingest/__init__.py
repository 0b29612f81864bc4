"""Where an uploaded or dropped file goes: sources (folders, uploads) → names → bundles
(ZIP/7z unpacked) → identify (by content) → prepare (extract and repair text, OCR) →
pipeline (store, record, classify, suggest links) → indexing (into the search index);
jobs keep a batch's progress so it can be resumed.

May import ``records``, ``inventory``, ``extract``, ``understand``, ``thai``, ``search``,
``preserve`` and ``runtime``.
"""
