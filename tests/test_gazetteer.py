from pathlib import Path

import pytest

from indexer.thai.gazetteer import (
    clusters,
    find_districts,
    find_provinces,
    place_names,
    province_by_abbr,
    province_by_name,
    provinces,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed(prefix: str) -> str:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix} not found under {SEEDS}")
    return matches[0].read_text(encoding="utf-8")


def test_77_provinces_928_districts_18_clusters():
    ps = provinces()
    assert len(ps) == 77
    assert sum(len(p.districts) for p in ps) == 928
    assert len(clusters()) == 18
    # every province but Bangkok is in exactly one cluster
    members = [p for c in clusters() for p in c.provinces]
    assert sorted(members) == sorted(p.name for p in ps if p.name != "กรุงเทพมหานคร")
    assert len({p.abbr for p in ps}) == 77


def test_abbreviations_as_in_letter_numbers():
    assert province_by_abbr("ชม").name == "เชียงใหม่"
    assert province_by_abbr("ชร").name == "เชียงราย"
    assert province_by_abbr("ฉช").name == "ฉะเชิงเทรา"
    assert province_by_abbr("นพ").name == "นครพนม"
    # printed variants seen in the seeds (003: ขร, 004: ฌข)
    assert province_by_abbr("ขร").name == "เชียงราย"
    assert province_by_abbr("ฌข").name == "ฉะเชิงเทรา"
    assert province_by_abbr("ซซ") is None


def test_province_fields():
    cm = province_by_name("จังหวัดเชียงใหม่")
    assert cm.name_en == "Chiang Mai"
    assert cm.region == "ภาคเหนือ"
    assert cm.cluster == "กลุ่มจังหวัดภาคเหนือตอนบน ๑"
    assert "แม่ริม" in cm.districts and "เมืองเชียงใหม่" in cm.districts
    assert province_by_name("กรุงเทพฯ").abbr == "กทม"
    assert "บางรัก" in province_by_name("กรุงเทพมหานคร").districts


def test_clusters_named_in_the_seeds():
    by_name = {c.name: c.provinces for c in clusters()}
    assert by_name["กลุ่มจังหวัดภาคเหนือตอนบน ๑"] == ("เชียงใหม่", "ลำพูน", "ลำปาง", "แม่ฮ่องสอน")
    assert set(by_name["กลุ่มจังหวัดภาคเหนือตอนบน ๒"]) == {"เชียงราย", "น่าน", "พะเยา", "แพร่"}


def test_place_names_for_the_dictionary():
    names = place_names()
    assert len(names) == len(set(names))
    for n in ("เชียงใหม่", "แม่ริม", "เมืองเชียงราย", "กลุ่มจังหวัดภาคเหนือตอนบน ๑", "เขตบางรัก"):
        assert n in names


def test_find_provinces_forms_and_false_hits():
    assert find_provinces("ศาลากลางจังหวัดเชียงใหม่ และ จ.ลำพูน") == ["เชียงใหม่", "ลำพูน"]
    # แพร่ inside เผยแพร่, เลย as a word, น่าน inside น่านน้ำ: not provinces
    assert find_provinces("การเผยแพร่ข้อมูลไม่ได้เลย ในน่านน้ำไทย") == []
    assert find_provinces("จังหวัดแพร่ และน่าน") == ["แพร่", "น่าน"]
    assert find_provinces("ตากแดด ที่ จ.ตาก") == ["ตาก"]


def test_excluded_provinces_are_not_named():
    # seed 003's table: 'พื้นที่ดำเนินการ ทุกจังหวัด (ยกเว้น กรุงเทพมหานคร)'
    assert find_provinces(seed("003")) == ["เชียงราย"]
    assert find_provinces("ทุกจังหวัด เว้นแต่จังหวัดน่าน และแพร่ โดยลำปางเป็นเจ้าภาพ") == ["ลำปาง"]
    # named elsewhere too: it counts
    assert find_provinces("ยกเว้น เชียงราย ส่วนเชียงรายจะจัดภายหลัง") == ["เชียงราย"]


def test_find_districts_forms():
    text = "อำเภอเมืองเชียงใหม่ และ อ.แม่ริม ส่วน อ.ก.บ.ก. ในเขตการปกครอง เขตบางรัก"
    assert find_districts(text) == [
        ("เมืองเชียงใหม่", "เชียงใหม่"),
        ("แม่ริม", "เชียงใหม่"),
        ("บางรัก", "กรุงเทพมหานคร"),
    ]
    assert find_districts("อำเภอเมือง จังหวัดลำปาง") == [("เมืองลำปาง", "ลำปาง")]
    # shared name: resolved by the province written after it
    assert find_districts("อำเภอเฉลิมพระเกียรติ จังหวัดน่าน") == [("เฉลิมพระเกียรติ", "น่าน")]


def test_seed_000_places():
    text = seed("000")
    assert find_provinces(text) == ["เชียงใหม่"]
    assert find_districts(text) == [("เมืองเชียงใหม่", "เชียงใหม่")]


def test_seed_002_lists_the_four_cluster_provinces():
    assert find_provinces(seed("002")) == ["เชียงใหม่", "ลำปาง", "ลำพูน", "แม่ฮ่องสอน"]


def test_seed_003_table_of_chiang_rai_districts():
    found = find_districts(seed("003"))
    assert all(p == "เชียงราย" for _, p in found)
    names = [d for d, _ in found]
    assert names[:3] == ["เมืองเชียงราย", "เวียงชัย", "เชียงของ"]
    # the table lists 18 rows; แม่อาย is a Chiang Mai district, so 17 are Chiang Rai's
    assert len(names) == 17 and "ดอยหลวง" in names
    assert "แม่อาย" not in names


def test_seed_001_and_004_no_district_noise():
    assert find_provinces(seed("001")) == ["นครพนม"]  # despite many 'เผยแพร่'
    assert find_districts(seed("001")) == []
    assert find_provinces(seed("004")) == ["ฉะเชิงเทรา"]
