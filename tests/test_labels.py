"""One label catalogue (schemas.labels): every code has its label, and no copy of a label
dictionary is left anywhere else."""

from __future__ import annotations

import ast
from pathlib import Path

from schemas import labels

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = {
    name: value
    for name, value in vars(labels).items()
    if isinstance(value, dict) and name.isupper()
}


def test_every_code_has_a_label():
    from indexer.inventory.gaps import STATUSES
    from indexer.records import provenance
    from indexer.search.tiers import TIERS
    from indexer.understand.kinds import KINDS
    from service.actions.publication import ACTIONS, STATES
    from service.auth import ROLES

    events = {
        value
        for name, value in vars(provenance).items()
        if name.isupper() and isinstance(value, str)
    }
    assert events <= set(labels.EVENT_TH)
    assert set(labels.EVENT_EN) <= set(labels.EVENT_TH)
    assert set(labels.GAP_STATUS_TH) == set(STATUSES)
    assert set(labels.MATCH_TIER_TH) == set(TIERS)
    assert set(labels.KIND_TH) == set(KINDS)
    assert set(labels.ROLE_TH) == {*ROLES, None}
    assert set(labels.PUBLICATION_STATE_TH) == set(STATES)
    assert set(labels.PUBLICATION_ACTION_TH) == set(ACTIONS)


def _dict_literals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and len(node.keys) >= 3:
            try:
                yield ast.literal_eval(node)
            except (ValueError, TypeError):
                continue


def test_no_copy_of_a_label_dictionary_outside_the_catalogue():
    """A dictionary of three or more labels, each as the catalogue has it, is a copy. (Two
    are not: the words a heading starts with may be a kind's name, and that is text.)"""
    copies = []
    for folder in ("schemas", "archive", "indexer", "service"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "labels.py" and path.parent.name == "schemas":
                continue
            for literal in _dict_literals(path):
                for name, catalogue in CATALOGUE.items():
                    if literal.items() <= catalogue.items():
                        copies.append((str(path.relative_to(ROOT)), name))
    assert not copies, copies
