"""Understanding official letters and reports (issue 7): pure functions over text.

>>> u = understand(text)
>>> u.kind, u.metadata["letter"]["number_normalized"]
('letter', 'ขร 0019.1/19555')
"""

from .core import Understanding, normalize_text, understand
from .kinds import KINDS, RULES

__all__ = ["KINDS", "RULES", "Understanding", "normalize_text", "understand"]
