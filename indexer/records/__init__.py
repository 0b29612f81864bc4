"""What is known of each stored document: its provenance events (``provenance``, imported
as a module: ``from indexer.records import provenance as ev``), its description as the
CLI and API show it (``documents``), the corrections people make to it (``edits``), and
its page images (``preview``).

May import ``extract``, ``understand``, ``thai`` and ``inventory.links`` (a document's
links are part of its description).
"""

from indexer.exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "documents": ("document_as_dict", "letter_key"),
        "edits": ("EDITABLE", "EditError", "clean_tags", "current_values", "edit_document"),
        "preview": ("PreviewFailed", "PreviewSource", "page_count", "page_image", "preview_kind"),
    },
)
