"""The inventory of expected deliverables: items and their import, links between documents
and items, link suggestions, the gap report and the printed reports.

May import ``records``, ``thai`` and ``runtime``.
"""
