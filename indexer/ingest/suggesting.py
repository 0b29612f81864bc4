"""Link suggestions during a batch: each new document with text is linked to the inventory
items it clearly names (``indexer.inventory.suggest``), without asking the database
"is there an inventory?" for every file of a bulk ingestion that has none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from indexer.core import Khlang
from indexer.ingest.batches import Timings
from indexer.inventory.suggest import auto_link_suggestions

log = logging.getLogger(__name__)

# How long "there is no inventory" is believed before the database is asked again.
INVENTORY_RECHECK = 5.0  # seconds


class LinkSuggester:
    """Most bulk ingestions run with no inventory at all: the answer "there is none" is
    kept for a few seconds instead of asked for every file, and the documents passed over
    meanwhile get their suggestions at the end of the batch if one arrived."""

    def __init__(self, core: Khlang, timings: Timings):
        self.core = core
        self.timings = timings
        self._no_inventory_since = float("-inf")
        self._passed_over: list[int] = []

    def suggest(self, document_id: int) -> bool:
        """Link a new document to the inventory items its text clearly names (staff confirm
        or change it later); True when it linked some. A suggestion must never fail an
        ingestion, so errors are logged, not raised: the document and its events are
        already committed."""
        now = time.monotonic()
        if now - self._no_inventory_since < INVENTORY_RECHECK:
            self._passed_over.append(document_id)
            return False
        try:
            with self.timings.stage("link"):
                linked = auto_link_suggestions(self.core, document_id)
        except Exception:
            log.exception("link suggestion failed for document %s", document_id)
            return False
        if linked is None:  # no inventory
            self._no_inventory_since = now
            self._passed_over.append(document_id)
            return False
        return bool(linked)

    def suggest_passed_over(self, reindex: Callable[[int], None]) -> None:
        """Suggestions for the documents passed over while there was no inventory, if one
        arrived during the batch; a linked document is indexed again (``reindex``, with
        its item)."""
        passed, self._passed_over = self._passed_over, []
        for document_id in passed:
            self._no_inventory_since = float("-inf")  # ask again: the first answer stops it
            if self.suggest(document_id):
                reindex(document_id)
            elif self._passed_over:  # still no inventory
                self._passed_over = []
                return
