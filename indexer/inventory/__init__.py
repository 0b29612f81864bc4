"""The inventory of expected deliverables (บัญชีรายละเอียดทรัพยากร/ผลลัพธ์, seed 000):
its items and their import, links between documents and items, link suggestions, the gap
report and the printed reports.

    keys       names, the natural key and the item code 'INV-2562-K7M2QX'
    tables     reading XLSX/CSV files into cells under canonical column names
    rows       checking one row (Thai digits, dates, provinces) into a ParsedRow
    importing  parse_inventory / import_inventory: create or update items by key
    template   the XLSX template staff fill in
    items      finding, listing and retiring items; due dates; process deadlines
    links      linking documents to items (each change a provenance event)
    suggest    which items a document may deliver
    gaps       the gap report: what was delivered, what is missing or overdue
    reports    the gap report printed (text, CSV, XLSX); report_settings: heading, digits

May import ``records``, ``thai``, ``understand``, ``runtime`` and ``ingest.indexing`` (an
import reindexes the documents of changed items). Other layers import the names below
from ``indexer.inventory``, not from its modules.
"""

from indexer.exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "keys": (
            "CODE_RE",
            "clean_display",
            "item_code_for",
            "item_province_id",
            "natural_key",
            "normalise_code",
            "normalise_name",
            "normalise_text",
        ),
        "tables": (
            "COLUMNS",
            "COLUMN_TH",
            "REQUIRED_COLUMNS",
            "InventoryFileError",
            "RowError",
            "column_for_header",
            "decode_csv_bytes",
            "read_table",
        ),
        "rows": (
            "ParsedRow",
            "parse_due_date",
            "parse_fiscal_year",
            "parse_quantity",
            "parse_row",
            "resolve_cluster",
        ),
        "importing": ("ImportResult", "import_inventory", "parse_inventory"),
        "template": ("template_xlsx",),
        "items": (
            "ItemRetired",
            "LinkError",
            "default_deadlines",
            "get_item",
            "item_as_dict",
            "list_items",
            "process_deadlines",
            "resolve_item_code",
            "retire_items",
            "set_due_date",
            "set_process_deadlines",
        ),
        "links": (
            "NotLinkable",
            "active_links",
            "confirm_link",
            "document_links",
            "is_container",
            "link",
            "link_document",
            "unlink",
            "unlink_document",
        ),
        "suggest": ("Suggestion", "auto_link_suggestions", "suggest_items"),
        "gaps": ("gap_report", "today_in_thailand"),
        "reports": ("gaps_csv", "gaps_text", "gaps_xlsx"),
        "report_settings": (
            "BadReportSetting",
            "logo_path",
            "report_digits",
            "report_settings",
            "set_logo",
            "set_report_settings",
            "report_settings_history",
        ),
    },
)
