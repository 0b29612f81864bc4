"""The gap report: what the inventory expects against what has arrived, as of a date.

Read in this order: ``report`` puts it together (its notes say what each status means),
``query`` reads the database, ``rules`` decides statuses, flags and totals, and
``labels`` adds the Thai wording the JSON carries beside the codes. Only ``labels``
holds words for people; the XLSX/CSV/print exports (``inventory.reports``) and the pages
look labels up in schemas.labels.

May import the rest of ``indexer.inventory``, ``indexer.thai``, ``indexer.understand``
and ``schemas``.
"""

from indexer.inventory.gaps.report import gap_facts, gap_report
from indexer.inventory.gaps.rules import STATUSES, today_in_thailand

__all__ = ["STATUSES", "gap_facts", "gap_report", "today_in_thailand"]
