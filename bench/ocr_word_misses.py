"""Where the scan bench's Thai words go: each printed word that did not come back, what came
back in its place, and why.

Reads the bench's pages (bench/scan_corpus.py) the way Khlang does (prepare_page, then
Tesseract's txt and TSV, kept in a cache folder so that the steps after OCR can be changed and
measured again without paying OCR again), runs Khlang's steps after OCR (the Thai digit
reader, then the Thai repair for layout text), and lines the printed words (pythainlp newmm,
as bench_ocr counts them) up with the OCR'd text, character by character. Each word that is
not where it was printed is given one cause:

- line: nothing Thai came back there (a lost line or part of one);
- latin: Latin letters came back instead (an abbreviation such as พ.ศ. read as "wa.");
- garbled: most of its letters are wrong;
- split: only spaces or line breaks were added inside it;
- sara am: ำ lost, or read as ํ + า or as า;
- tone mark: a tone mark (่ ้ ๊ ๋) lost, added or swapped for another;
- vowel mark: an above or below vowel, ์ or ็ lost, added or swapped;
- consonant: a consonant read as another one (ด/ค, บ/ป, ม/น, ...);
- vowel: a vowel letter (ะ า เ แ โ ใ ไ ...) lost, added or swapped;
- latin: Latin letters or punctuation among its Thai letters;
- joined: newmm cuts it differently in the OCR'd text although its letters are all there
  (a neighbour misread, or a word glued to the next);
- other: several of these at once.

    nice -n 10 .venv/bin/python -m bench.ocr_word_misses [--pages 1] [--clean] [--rotated]
        [--cache /tmp/khlang-ocr-cache-words] [--show] [--raw] [--no-correction] [--no-latin]
        [--psm 3]
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

from bench.ocr_number_misses import bench_pages, page_arguments, tesseract_output
from bench.scan_corpus import _joined, thai_words

TONE = "\u0e48\u0e49\u0e4a\u0e4b"
MARK = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e4c\u0e4d"
CONSONANT = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"
VOWEL = "\u0e30\u0e32\u0e40\u0e41\u0e42\u0e43\u0e44\u0e45\u0e24\u0e26"
SARA_AM = "\u0e33"


def khlang_text(
    raw: str, tsv: str, prepared: Path, correct: bool = True, latin: bool = True
) -> str:
    """What Khlang stores for a page Tesseract read as ``raw``: the digit reader, the tone
    mark correction (indexer/extract/ocr.py), then the Thai repair for layout text."""
    from indexer.extract.latin_in_thai import reread_latin_words
    from indexer.extract.thai_digit_reader import reread_thai_digits
    from indexer.thai.ocr_words import correct_ocr_text
    from indexer.thai.repair import repair_thai

    if latin:
        raw, tsv, _ = reread_latin_words(prepared, raw, tsv)
    text, _ = reread_thai_digits(prepared, raw, tsv)
    return repair_thai(correct_ocr_text(text) if correct else text, layout=True).text


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each newmm word of ``text`` (spaces between Thai removed first,
    as the bench counts words)."""
    from pythainlp.tokenize import word_tokenize

    out, position = [], 0
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        out.append((position, position + len(word), word))
        position += len(word)
    return out


def classify(printed: str, came: str) -> str:
    """The cause of ``printed`` coming back as ``came`` (the OCR'd text where it was)."""
    if not re.search("[\u0e01-\u0e4e]", came):
        return "latin" if re.search("[A-Za-z]", came) else "line"
    matcher = difflib.SequenceMatcher(None, printed, came, autojunk=False)
    if matcher.ratio() < 0.5:
        return "garbled"
    lost, added = [], []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "equal":
            lost.append(printed[a0:a1])
            added.append(came[b0:b1])
    lost_chars, added_chars = "".join(lost), "".join(added)
    if not lost_chars and added_chars and not added_chars.strip():
        return "split"
    added_chars = re.sub(r"\s", "", added_chars)
    if not lost_chars and not added_chars:
        return "joined"
    if re.search(r"[A-Za-z0-9|\\/()\[\]{}<>_~'\"`!?;:.,-]", added_chars):
        return "latin"
    changed = set(lost_chars + added_chars)
    if SARA_AM in changed and changed <= set(SARA_AM + "\u0e32\u0e4d" + TONE):
        return "sara am"
    for kind, chars in (
        ("tone mark", TONE),
        ("vowel mark", MARK),
        ("consonant", CONSONANT),
        ("vowel", VOWEL),
    ):
        if changed <= set(chars):
            return kind
    return "other"


def misses(truth: str, text: str) -> list[tuple[str, str, str]]:
    """(printed word, what came back there, cause) for each printed Thai word that the
    bench's counting does not find in ``text``."""
    truth_joined, text_joined = _joined(truth), _joined(text)
    wanted, found = thai_words(truth), thai_words(text)
    missing = wanted - found  # how many of each word the bench counts as lost
    matcher = difflib.SequenceMatcher(None, truth_joined, text_joined, autojunk=False)
    opcodes = matcher.get_opcodes()

    def place(position: int, at_end: bool) -> int:
        for tag, a0, a1, b0, b1 in opcodes:
            if a0 <= position < a1 or (at_end and a0 < position <= a1):
                if tag == "equal":
                    return b0 + (position - a0)
                return b1 if at_end else b0
        return len(text_joined)

    out: list[tuple[str, str, str]] = []
    for start, end, word in _tokens(truth_joined):
        if not missing[word]:
            continue
        came = text_joined[place(start, False) : place(end, True)]
        if came == word:
            continue  # came back here, but newmm cut it otherwise (counted elsewhere)
        missing[word] -= 1
        out.append((word, came, classify(word, came)))
    for word, count in missing.items():  # lost although its letters came back where printed
        out += [(word, word, "joined")] * count
    return out


def diagnose(
    pages,
    cache: Path,
    show: bool,
    raw_only: bool = False,
    correct: bool = True,
    latin: bool = True,
    psm: str | None = None,
) -> Counter:
    causes: Counter = Counter()
    for page in pages:
        prepared, raw, tsv = tesseract_output(page, cache, psm)
        text = raw if raw_only else khlang_text(raw, tsv, prepared, correct, latin)
        total = sum(thai_words(page.truth).values())
        causes["printed"] += total
        lost = misses(page.truth, text)
        causes["came back"] += total - len(lost)
        for step, on in (("correction", correct), ("Latin re-read", latin)):
            if not on or raw_only:
                continue  # words the step made wrong: right without it, lost with it
            if step == "correction":
                before = khlang_text(raw, tsv, prepared, correct=False, latin=latin)
            else:
                before = khlang_text(raw, tsv, prepared, correct=correct, latin=False)
            wanted = thai_words(page.truth)
            lost_to_it = (wanted & thai_words(before)) - thai_words(text)
            causes[f"made wrong by the {step}"] += sum(lost_to_it.values())
            if show and lost_to_it:
                print(f"  {page.name[:34]:34} made wrong by the {step}: {sorted(lost_to_it)}")
        for word, came, why in lost:
            causes[why] += 1
            if show:
                print(f"  {page.name[:34]:34} {why:10} {word!r:18} -> {came!r}")
    return causes


def main(argv: list[str] | None = None) -> None:
    parser = page_arguments(__doc__.splitlines()[0], Path("/tmp/khlang-ocr-cache-words"))
    parser.add_argument("--raw", action="store_true", help="Tesseract's text, not Khlang's")
    parser.add_argument(
        "--no-correction", action="store_true", help="without the tone mark correction"
    )
    parser.add_argument(
        "--no-latin", action="store_true", help="without reading Latin-letter words again"
    )
    args = parser.parse_args(argv)
    with bench_pages(args) as (pages, cache):
        causes = diagnose(
            pages,
            cache,
            args.show,
            args.raw,
            not args.no_correction,
            not args.no_latin,
            args.psm,
        )
    printed, back = causes.pop("printed"), causes.pop("came back")
    broken = causes.pop("made wrong by the correction", None)
    broken_latin = causes.pop("made wrong by the Latin re-read", None)
    print(f"{printed} printed Thai words, {back} came back ({100 * back / max(1, printed):.1f}%)")
    for why, count in causes.most_common():
        print(f"  {why:12} {count}")
    if broken is not None:
        print(f"right without the tone mark correction, wrong with it: {broken}")
    if broken_latin is not None:
        print(f"right without the Latin re-read, wrong with it: {broken_latin}")


if __name__ == "__main__":
    main()
