"""๔ against ๕ in every TLWG face: how the Thai digit reader's classifier names them, with and
without the loop rule (indexer/extract/glyph_ink.py: ๕ has a small loop on its top, ๔ none).

Numbers holding ๔, ๕ and ๘ among other digits are drawn after a year (๒๕๖๒, as a letter
prints one on every page: the rule trusts a missing loop only where the ๕ the classifier
is sure of show theirs), the way the classifier's training draws them (scripts/train_digit_reader.py: a random size of 9 to 22 pt, turned, stretched,
slanted, blurred, specked, JPEG'd and median-filtered as a scan is), in every face of
fonts-thai-tlwg, the scan bench's four (never trained on) and the others. For each face it
prints how many ๔ the reader would write over Tesseract's ๕ (named ๔ at REPLACE_CONFIDENCE
or more), and how many ๕ and ๘ it would wrongly turn into ๔; first the classifier alone,
then with the loop rule. Figures only: nothing here asserts anything.

    nice -n 10 .venv/bin/python -m bench.ocr_four_five [--per-font 60] [--seed 7] [--year '']
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from train_digit_reader import BENCH_FAMILIES, FONT_DIR, drawn_glyphs

from indexer.extract import thai_digit_reader as reader

YEAR = "๒๕๖๒"


def a_number(rng: random.Random) -> str:
    """Two to five digits, at least one of them ๔, ๕ or ๘."""
    digits = [rng.choice(reader.THAI_DIGITS) for _ in range(rng.randint(1, 4))]
    digits.insert(rng.randrange(len(digits) + 1), rng.choice("๔๕๘"))
    return "".join(digits)


def classifier_alone(tall, model) -> tuple[str, np.ndarray]:
    tallest = max(glyph.height for glyph in tall)
    chances = reader.probabilities(
        np.stack([reader.features(glyph, tallest) for glyph in tall]), model
    )
    best = chances.argmax(axis=1)
    return "".join(reader.CLASSES[i] for i in best), chances[np.arange(len(best)), best]


def count(fonts: list[Path], per_font: int, seed: int, year: str = YEAR) -> dict:
    """{face: {(way, what): glyphs}}, ``what`` one of "๔ fixed", "๔ seen", "๕ broken",
    "๕ seen", "๘ broken", "๘ seen"."""
    model = reader._model()
    rng = random.Random(seed)
    counts: dict = defaultdict(lambda: defaultdict(int))
    for font in fonts:
        for _ in range(per_font):
            chars = a_number(rng)
            tall = drawn_glyphs(f"{year} {chars}".strip(), font, rng)
            if not tall:
                continue
            ways = {"alone": classifier_alone(tall, model), "loop": reader._named(tall, model)}
            for way, (named, sure) in ways.items():
                cut = len(year)
                for truth, name, certainty in zip(chars, named[cut:], sure[cut:], strict=True):
                    if truth not in "๔๕๘":
                        continue
                    counts[font.stem][way, f"{truth} seen"] += 1
                    as_four = name == "๔" and certainty >= reader.REPLACE_CONFIDENCE
                    if truth == "๔" and as_four:
                        counts[font.stem][way, "๔ fixed"] += 1
                    elif truth != "๔" and as_four:
                        counts[font.stem][way, f"{truth} broken"] += 1
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-font", type=int, default=60, help="numbers drawn per face")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--year",
        default=YEAR,
        help="drawn before each number; '' for a page with no ๕ the classifier is sure of",
    )
    args = parser.parse_args(argv)
    fonts = sorted(FONT_DIR.glob("*.ttf"))
    counts = count(fonts, args.per_font, args.seed, args.year)
    print("face                       | ๔ read as ๔ (alone / loop) | ๕ made ๔ | ๘ made ๔")
    totals: dict = defaultdict(int)  # (bench face?, way, what)
    for face, seen in counts.items():
        bench = "*" if face.split("-")[0] in BENCH_FAMILIES else " "
        for key, value in seen.items():
            totals[bench, *key] += value
        print(
            f"{bench}{face:26} | {seen['alone', '๔ fixed']:3} / {seen['loop', '๔ fixed']:3}"
            f" of {seen['alone', '๔ seen']:3}        | {seen['alone', '๕ broken']} / "
            f"{seen['loop', '๕ broken']} of {seen['alone', '๕ seen']:3} | "
            f"{seen['alone', '๘ broken']} / {seen['loop', '๘ broken']} of {seen['alone', '๘ seen']}"
        )
    for bench, name in (("*", "the scan bench's faces (*)"), (" ", "the training faces")):
        t = defaultdict(int, {k[1:]: v for k, v in totals.items() if k[0] == bench})
        print(
            f"{name}: ๔ read as ๔ {t['alone', '๔ fixed']} -> {t['loop', '๔ fixed']} of"
            f" {t['alone', '๔ seen']}; ๕ made ๔ {t['alone', '๕ broken']} -> {t['loop', '๕ broken']}"
            f" of {t['alone', '๕ seen']}; ๘ made ๔ {t['alone', '๘ broken']} ->"
            f" {t['loop', '๘ broken']} of {t['alone', '๘ seen']}"
        )


if __name__ == "__main__":
    main()
