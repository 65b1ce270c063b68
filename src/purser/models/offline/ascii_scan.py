"""ASCII twins of the hot Unicode patterns.

Most customer messages are plain ASCII. On ASCII text a pattern compiled with `re.ASCII` finds exactly
the matches of its Unicode original, without the Unicode database lookups that every `\\b`, `\\w`, `\\s`
and `\\d` otherwise costs. A caller picks the twin when `text.isascii()` (a cheap test) and the original
otherwise, so text in other scripts ("キャンセルcancel") is read exactly as before.
"""

from __future__ import annotations

import re

__all__ = ["ascii_twin"]


def ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` with ASCII-only classes and word boundaries: the same matches on ASCII text."""
    return re.compile(pattern.pattern, (pattern.flags & ~re.UNICODE) | re.ASCII)
