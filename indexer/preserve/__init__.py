"""Preservation actions, each leaving an event: fixity checks, the second copy
(replication), BagIt transfer and restore, backups, PREMIS export and the searchable copy
of a scan.

May import ``ingest``, ``records``, ``inventory`` and ``runtime``.
"""
