"""Where the shared read-only material lives: ../shared beside the repository."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
SEED_FIXTURES = SHARED / "fixtures" / "seeds"
GOV_PDF = SHARED / "corpus" / "gov-pdf"
GOV_TEXTS = SHARED / "corpus" / "gov-texts"
