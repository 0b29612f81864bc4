"""`make demo`: link a few of the seed documents to the sample inventory's items, as staff
would on the document's page (through `khlang link`), so that the gap report, the home
pages and the inventory show received items beside missing and overdue ones.

Run again, it links nothing twice (a link that exists is left as it is)."""

from __future__ import annotations

import sys

from sqlalchemy import select

from indexer.core import Khlang
from indexer.inventory import list_items
from schemas.models import Document
from service.cli import main

# seed file (its first arrival's name) -> (fiscal year, province, deliverable)
LINKS = {
    "003_d2773d3a604759fe.docx": (2567, "เชียงราย", "หนังสือแจ้งการปรับแผนการปฏิบัติงาน"),
    "004_b16aa6efba4dfd19.docx": (2566, "ฉะเชิงเทรา", "หนังสือเวียนแจ้งการคัดเลือก"),
    "000_b5296e7a1e0e78d3.pdf": (2562, "เชียงใหม่", "แนวทางการจัดเก็บทรัพยากรและผลลัพธ์ของโครงการ"),
}
AGENT = "strategy"


def main_links(data_dir: str) -> int:
    core = Khlang.open(data_dir)
    try:
        codes = {
            (i["fiscal_year"], i["province"], i["deliverable"]): i["code"] for i in list_items(core)
        }
        with core.sessions() as session:
            documents = dict(session.execute(select(Document.filename, Document.id)).all())
    finally:
        core.dispose()
    for filename, key in LINKS.items():
        if filename not in documents or key not in codes:
            print(f"ข้าม {filename}: ไม่พบเอกสารหรือรายการ (skipped: not in this archive)")
            continue
        args = ["--data-dir", data_dir, "link", str(documents[filename]), codes[key]]
        main.main([*args, "--submitted-by", AGENT], standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main_links(sys.argv[1]))
