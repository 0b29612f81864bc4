"""Search through the command line, the API and the pages: exclusions, the tiers of the
default search and the strict all-words mode, the reuse lookup's projects, and what the
index holds for a document."""

from __future__ import annotations

import datetime as dt
import hashlib

from indexer.ingest.indexing import document_for_index, index_documents
from schemas.models import Document

WATER = "ระบบประปาหมู่บ้าน น้ำสะอาด ถังเก็บน้ำ ท่อส่งน้ำ ชุมชนในจังหวัด"


def record(core, text: str, *, publication: str = "published", **fields) -> int:
    with core.transaction() as session:
        document = Document(
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            size=len(text.encode()),
            mime="text/plain",
            category="text",
            title=fields.pop("title", text[:40]),
            filename="doc.txt",
            text=text,
            publication=publication,
            **fields,
        )
        session.add(document)
        session.flush()
        document_id = document.id
    index_documents(core, [document_id], agent="test")
    return document_id


def archive(core) -> dict[str, int]:
    ids = {
        "lampang": record(core, "รายงานการประชุม จังหวัดลำปาง", meta={"provinces": ["ลำปาง"]}),
        "chiangmai": record(core, "รายงานการประชุม จังหวัดเชียงใหม่", meta={"provinces": ["เชียงใหม่"]}),
        "water1": record(core, f"แบบก่อสร้าง{WATER}", meta={"projects": ["โครงการน้ำสะอาดเพื่อชุมชน"]}),
        "water2": record(core, f"รายงานผล{WATER}", meta={"projects": ["โครงการน้ำสะอาดเพื่อชุมชน"]}),
        "water3": record(core, f"คู่มือ{WATER}", meta={"projects": ["โครงการประปาโรงเรียน"]}),
        "hidden": record(
            core,
            f"ร่าง{WATER}",
            publication="internal",
            meta={"projects": ["โครงการลับยังไม่เผยแพร่"]},
        ),
    }
    for n in range(12):
        record(core, f"เอกสารทั่วไป เรื่องที่ {n} งานธุรการ")
    return ids


def test_cli_exclusions_start_with_a_dash_tiers_and_all(core, cli):
    ids = archive(core)
    found = cli.json("search", "รายงานการประชุม", "-province:ลำปาง")
    assert [h["document_id"] for h in found["hits"]] == [ids["chiangmai"]]
    found = cli.json("search", "-จังหวัด:เชียงใหม่", "รายงานการประชุม")
    assert [h["document_id"] for h in found["hits"]] == [ids["lampang"]]
    alone = cli("search", "-เชียงใหม่", "--json")  # a query that starts with '-'
    assert alone.exit_code == 0, alone.output
    strict = cli("search", "--all", "ประปาโรงเรียนหมู่บ้าน")
    assert "พบ 0 เอกสาร" in strict.stdout and "--all" in strict.stdout
    # the default: the scattered words find the three water documents, tier by tier
    found = cli("search", "ประปาโรงเรียนหมู่บ้าน")
    assert "มีบางคำ" in found.stdout, found.stdout  # no document has โรงเรียน
    default = cli.json("search", "ประปาโรงเรียนหมู่บ้าน")
    assert default["total"] >= 3
    assert cli.json("search", "--any", "ประปาโรงเรียนหมู่บ้าน") == default  # the former flag
    # +word: only documents with it
    required = cli.json("search", "รายงาน", "+ลำปาง")
    assert [h["document_id"] for h in required["hits"]] == [ids["lampang"]]


def test_api_tiers_match_all_and_their_openapi(core, client):
    ids = archive(core)
    question = "คู่มือประปาหมู่บ้านมีอะไรบ้าง"  # a question, as staff type it
    default = client.get("/api/search", query_string={"q": question}).get_json()
    assert default["hits"][0]["document_id"] == ids["water3"]
    assert default["hits"][0]["match"] == "all"
    assert "<mark>คู่มือ</mark>" in default["hits"][0]["snippet"]  # the question's words
    assert {h["match"] for h in default["hits"][1:]} == {"some"}
    assert default["total"] == len(default["hits"])  # what can be shown
    assert default["suggestion"] is None
    strict = client.get("/api/search", query_string={"q": question, "match": "all"}).get_json()
    assert strict["total"] == 0
    verbatim = client.get("/api/search", query_string={"q": "คู่มือระบบประปา"}).get_json()
    assert verbatim["hits"][0]["document_id"] == ids["water3"]
    assert [h["match"] for h in verbatim["hits"]][:2] == ["phrase", "some"]
    bad = client.get("/api/search", query_string={"q": "x", "match": "some"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_argument"
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert params["match"]["schema"]["enum"] == ["default", "all", "any", "strict"]
    hit = spec["components"]["schemas"]["Hit"]["properties"]["match"]
    assert hit["enum"] == ["phrase", "all", "some", None]


def test_search_page_names_each_hits_tier(core, app):
    """Signed in through the login form, a question typed into the search box brings the
    document that answers it first, labelled with its tier."""
    import re

    from service.auth import add_user

    ids = archive(core)
    add_user(core, "somsri", "viewer", "รหัสผ่าน-ทดสอบ-1")
    browser = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text).group(1)
    signed_in = browser.post(
        "/login",
        data={"name": "somsri", "password": "รหัสผ่าน-ทดสอบ-1", "csrf_token": token, "next": "/"},
    )
    assert signed_in.status_code == 302
    page = browser.get("/", query_string={"q": "คู่มือประปาหมู่บ้านมีอะไรบ้าง"}).text
    hits = page.split('class="hit"')[1:]
    assert f"/documents/{ids['water3']}" in hits[0] and "มีครบทุกคำ" in hits[0]
    assert all("มีบางคำ" in h for h in hits[1:])
    assert "ค้นหาเอกสารที่มีคำเหล่านี้" not in page
    # the strict all-words search on request; its empty page leads back to the default
    page = browser.get("/", query_string={"q": "คู่มือประปาหมู่บ้านมีอะไรบ้าง", "match": "all"}).text
    assert 'name="match" value="all"' in page
    assert "ค้นหาเอกสารที่มีคำเหล่านี้" in page and "match=all" not in page.split("any-words")[1]
    english = browser.get("/", query_string={"q": "คู่มือระบบประปา", "lang": "en"}).text
    assert "Exact phrase" in english


def test_reuse_returns_projects_with_shared_terms(core, client, anon_client):
    ids = archive(core)
    body = {"text": "โครงการพัฒนาระบบประปาหมู่บ้านให้มีน้ำสะอาดและถังเก็บน้ำ", "limit": 5}
    result = client.post("/api/reuse", json=body).get_json()
    assert {h["document_id"] for h in result["hits"][:4]} >= {
        ids["water1"],
        ids["water2"],
        ids["water3"],
    }
    names = [p["project"] for p in result["projects"]]
    assert names[0] == "โครงการน้ำสะอาดเพื่อชุมชน"
    assert {"โครงการประปาโรงเรียน", "โครงการลับยังไม่เผยแพร่"} <= set(names)
    first = result["projects"][0]
    assert {d["document_id"] for d in first["documents"]} == {ids["water1"], ids["water2"]}
    assert "ประปา" in first["shared_terms"]
    # a visitor sees only published documents, and so only their projects
    login_page = anon_client.get("/login").get_data(as_text=True)
    csrf = login_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    public = anon_client.post("/api/reuse", json=body, headers={"X-CSRF-Token": csrf}).get_json()
    assert public["projects"]
    assert "โครงการลับยังไม่เผยแพร่" not in [p["project"] for p in public["projects"]]
    spec = client.get("/api/openapi.json").get_json()
    schema = spec["paths"]["/api/reuse"]["post"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith("/Reuse")
    assert "projects" in spec["components"]["schemas"]["Reuse"]["properties"]


def test_reuse_page_lists_projects(core, client):
    archive(core)
    page = client.get("/reuse").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    page = client.post(
        "/reuse", data={"text": "ระบบประปาหมู่บ้านและถังเก็บน้ำ", "csrf_token": token}
    ).get_data(as_text=True)
    assert "โครงการเดิมที่เกี่ยวข้อง" in page and "โครงการน้ำสะอาดเพื่อชุมชน" in page


def test_host_agency_is_the_inventorys_and_undated_documents_have_no_date(core):
    letter = {"letter": {"office": "สำนักงานจังหวัดลำปาง", "number": "ลป 0017/1"}}
    document_id = record(core, "หนังสือราชการ ขอเชิญประชุม", meta=letter)
    dated_id = record(core, "หนังสือฉบับที่มีวันที่", document_date=dt.date(2024, 3, 1))
    with core.sessions() as session:
        fields = document_for_index(session.get(Document, document_id), [])
        dated = document_for_index(session.get(Document, dated_id), [])
    assert fields["agencies"] == [] and fields["sender"] == "สำนักงานจังหวัดลำปาง"
    assert fields["date"] is None and fields["received"] == dt.datetime.now(dt.UTC).date()
    assert dated["date"] == dt.date(2024, 3, 1)
    facets = core.search_backend.search("หนังสือ").as_dict()["facets"]
    assert facets["agency"] == []
    assert facets["sender"] == [{"value": "สำนักงานจังหวัดลำปาง", "count": 1}]
