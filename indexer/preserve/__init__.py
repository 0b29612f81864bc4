"""Preservation actions, each leaving an event: fixity checks (``fixity``), the second copy
(``replication``), BagIt transfer and restore (``bags``), backups (``backup``), PREMIS
export (``premis``), the searchable copy of a scan (``searchable``, used as a module) and
making those copies again from the originals (``searchable_rebuild``).

May import ``ingest.indexing`` (a restore or a bag import reindexes), ``records``,
``inventory``, ``extract`` and ``runtime``.
"""

from indexer.exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "fixity": ("check_before_serving", "latest_run", "verify"),
        "replication": ("catch_up", "copy_and_check", "not_yet_replicated", "record_replication"),
        "bags": ("BagError", "export_bag", "import_bag"),
        "backup": ("BackupError", "backup", "restore"),
        "premis": ("events_as_premis",),
        "searchable_rebuild": ("rebuild_copies", "scan_ids"),
    },
)
