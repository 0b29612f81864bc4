"""Put right the tone marks that OCR loses or misreads on Thai words, by the dictionary and
word frequencies.

Tesseract's Thai model drops a tone mark above an upper vowel ("ที่" read "ที",
"เจ้าหน้าที่" read "เจ้าหน้าที", "พื้นที่" read "พืนที") or after a consonant ("อย่าง" read
"อยาง"): on the scan bench (bench/ocr_word_misses.py) these were the largest cause of lost
words once sara am was repaired. A word (a newmm token) is changed only by one such edit,
and only when the edit makes the words around it more likely under a unigram model of word
frequencies (pythainlp's TNC counts; dictionary words missing from it, such as the domain
dictionary's, count once) by more than the edit's own unlikeliness:

* a word outside the dictionary may get one tone mark added, removed or swapped, if that
  makes it words, and must win 20 times over;
* a dictionary word may only get a lost tone mark back, and must win 60 times over ("ที"
  is a word, but "ที่เกิด" is far likelier than "ทีเกิด"; "ยังยืน" is left, since "ไม้" read
  for "ไม่" would look the same).

Pure functions over text: no image, no OCR confidence. Line breaks are kept, so the text
stays line for line with Tesseract's boxes.
"""

from __future__ import annotations

import difflib
import math
import re
from functools import lru_cache

from .repair import (
    ABOVE_VOWELS,
    BELOW_VOWELS,
    CONSONANTS,
    STEPS,
    TONE_MARKS,
    _tokenize,
    fix_intra_word_space,
    run_steps,
)

_TONES = "\u0e48\u0e49"  # ่ ้: the two marks a government letter is full of
#: log-odds an edit must win by: on a word outside the dictionary, on a word in it.
UNKNOWN_WORD_MARGIN = math.log(20)
KNOWN_WORD_MARGIN = math.log(60)
_UNKNOWN_CHAR = math.log(1e-9)  # a character outside every word: rarer than any word
_WINDOW = 3  # words each side of the edit that are tokenized again with it


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, float], int]:
    """(log probability of each word, the longest word's length): pythainlp's TNC counts;
    a word of the dictionary (pythainlp's, the domain dictionary's and the place names, as
    search segments text) that TNC lacks counts once."""
    from pythainlp.corpus import tnc

    from .lexicon import known_words

    counts = {word: count for word, count in tnc.word_freqs()}
    words = known_words()
    for word in words:
        counts.setdefault(word, 1)
    log_total = math.log(sum(counts.values()))
    model = {word: math.log(count) - log_total for word, count in counts.items() if word}
    return model, min(30, max(map(len, model)))


@lru_cache(maxsize=65536)
def _segment(text: str) -> tuple[float, int]:
    """(log probability of ``text``'s likeliest cut into words, characters left out of
    every word): a unigram model read by dynamic programming, each character outside a
    word costing more than any word."""
    model, longest = _model()
    best: list[tuple[float, int]] = [(0.0, 0)] + [(-math.inf, 0)] * len(text)
    for end in range(1, len(text) + 1):
        score, unknown = best[end - 1]
        candidate = (score + _UNKNOWN_CHAR, unknown + 1)
        for start in range(max(0, end - longest), end):
            word = model.get(text[start:end])
            if word is not None and best[start][0] + word > candidate[0]:
                candidate = (best[start][0] + word, best[start][1])
        best[end] = candidate
    return best[-1]


def _tone_edits(word: str) -> list[str]:
    """``word`` with one tone mark added after a consonant (and its upper or lower vowel),
    removed, or swapped for the other."""
    edits = []
    for i, char in enumerate(word):
        if char in _TONES:
            other = _TONES[1 - _TONES.index(char)]
            edits.append(word[:i] + word[i + 1 :])
            edits.append(word[:i] + other + word[i + 1 :])
            continue
        if char not in CONSONANTS and char not in ABOVE_VOWELS + BELOW_VOWELS:
            continue
        after = word[i + 1 : i + 2]
        if after and (after in ABOVE_VOWELS + BELOW_VOWELS + TONE_MARKS or after == "\u0e4c"):
            continue  # the mark goes after the vowel sign, and a word has one tone mark
        if char in CONSONANTS or word[i - 1 : i] in CONSONANTS:
            for tone in _TONES:
                edits.append(word[: i + 1] + tone + word[i + 1 :])
    return edits


def correct_run(run: str) -> str:
    """One Thai run (no spaces) with its tone marks put right where the words say so."""
    tokens = _tokenize(run)
    out = list(tokens)
    for i, token in enumerate(tokens):
        if not any(c in CONSONANTS for c in token):
            continue
        left = "".join(out[max(0, i - _WINDOW) : i])
        right = "".join(tokens[i + 1 : i + 1 + _WINDOW])
        known = _segment(token)[1] == 0
        best, best_score = token, _segment(left + token + right)[0]
        best_score += KNOWN_WORD_MARGIN if known else UNKNOWN_WORD_MARGIN
        for edit in _tone_edits(token):
            if known and len(edit) != len(token) + 1:
                continue  # words only get a lost mark back
            if len(edit) < 2 or _segment(edit)[1]:
                continue  # the edit must make words ("ต่" cut at a line's end stays)
            score = _segment(left + edit + right)[0]
            if score > best_score:
                best, best_score = edit, score
        out[i] = best
    return "".join(out)


_THAI = "\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e"
#: A Thai run, continued over a line break: a word wrapped at a line end is read whole.
_RE_WRAPPED_RUN = re.compile(f"[{_THAI}]+(?:[ \\t]*\\n[ \\t]*[{_THAI}]+)*")
_RE_BREAK = re.compile("[ \t]*\n[ \t]*")


def _moved(before: str, after: str, position: int) -> int:
    """Where ``position`` of ``before`` is in ``after`` (marks edited in between): a mark
    added at a line's end stays on that line."""
    shift = 0
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, before, after).get_opcodes():
        if tag == "insert" and a0 <= position:
            shift += b1 - b0
        elif tag in ("delete", "replace") and a0 < position:
            shift += (b1 - b0) - (min(a1, position) - a0)
    return position + shift


def _corrected(match: re.Match[str]) -> str:
    text, end = match.string, match.end()
    if text[end : end + 1] == "." or (match.start() and text[match.start() - 1] == "."):
        return match.group(0)  # an abbreviation's letters ("บ.ก.") are not words
    pieces = _RE_BREAK.split(match.group(0))
    if len(pieces) == 1:
        return correct_run(pieces[0]) if len(pieces[0]) > 1 else pieces[0]
    breaks = _RE_BREAK.findall(match.group(0))
    joined = "".join(pieces)
    fixed = correct_run(joined)
    cuts = [_moved(joined, fixed, sum(map(len, pieces[: i + 1]))) for i in range(len(breaks))]
    out, start = [], 0
    for cut, line_break in zip(cuts, breaks, strict=True):
        out += [fixed[start:cut], line_break]
        start = cut
    return "".join(out) + fixed[start:]


def correct_tone_marks(text: str) -> str:
    """``text`` (OCR output, sara am already repaired) with each Thai run's lost or misread
    tone marks put right: 'เจ้าหน้าที' -> 'เจ้าหน้าที่', 'ขึ่น' -> 'ขึ้น'. A run wrapped over
    a line break is read as one; the break stays where it was."""
    return _RE_WRAPPED_RUN.sub(_corrected, text)


def correct_ocr_text(text: str) -> str:
    """Tesseract's text with the Thai repair's character steps (sara am, mark order, ...) and
    its spaces inside words removed, then its tone marks put right (``correct_tone_marks``
    reads whole words: "หน่ว ยงาน" would lose its mark as an unknown "หน่ว"). Lines are kept
    as Tesseract wrote them (the text layer puts each on its line's box)."""
    return correct_tone_marks(fix_intra_word_space(run_steps(text, STEPS).text))
