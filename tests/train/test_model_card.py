"""Model cards open with a YAML header: licence, training data and their licences, use, limits."""

from __future__ import annotations

import pytest

from toolkit.errors import UserError
from toolkit.train.packing import ASSETS, CARD_KEYS, read_card, read_front_matter

CARDS = sorted(ASSETS.rglob("model_card.md"))


@pytest.mark.parametrize("card", CARDS, ids=lambda p: str(p.parent.relative_to(ASSETS)))
def test_shipped_cards_state_licences(card):
    head = read_front_matter(card)
    assert set(CARD_KEYS) <= set(head)
    assert head["license"] != "unknown" and head["training_data"]
    assert all(item["license"] for item in head["training_data"])


def test_svs_card_says_research_only():
    head = read_front_matter(ASSETS / "svs" / "model_card.md")
    assert any("MIR-1K" in d["name"] and d["license"] == "research use only"
               for d in head["training_data"])


def test_bad_card_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "card.yaml"
    bad.write_text("license: MIT\n")
    with pytest.raises(UserError, match="needs exactly the keys"):
        read_card(bad)
    bad.write_text("license: MIT\nlicense_note: x\ntraining_data: [speech]\n"
                   "intended_use: x\nlimitations: x\n")
    with pytest.raises(UserError, match="name and license"):
        read_card(bad)
    assert read_card(None)["license"] == "unknown"
