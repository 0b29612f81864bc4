"""Thai digits (๐-๙) and Arabic digits (0-9), one for one."""

from __future__ import annotations

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ARABIC_DIGITS = "0123456789"

_TO_ARABIC = str.maketrans(THAI_DIGITS, ARABIC_DIGITS)
_TO_THAI = str.maketrans(ARABIC_DIGITS, THAI_DIGITS)


def to_arabic_digits(text: str) -> str:
    """'พ.ศ. ๒๕๖๒' -> 'พ.ศ. 2562'. Length and every other character are unchanged."""
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    """'2562' -> '๒๕๖๒'."""
    return text.translate(_TO_THAI)


def has_thai_digits(text: str) -> bool:
    return any(ch in THAI_DIGITS for ch in text)
