"""Textual similarity of short texts (titles, symptoms): Jaccard over word sets, stop
words removed. Pure and cheap, so it runs per incident on read."""

from __future__ import annotations

import re

# Two texts whose word sets share at least this share of their union read as "the same".
THRESHOLD = 0.3

_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]")
# Ordinary English function words; "down", "up", "off", "out", "not", "no" stay: in an
# incident title they carry the meaning ("site down", "not responding").
_STOP_TEXT = """a about above after again all am an and any are as at be been before being below
    between both but by can could did do does doing during each few for from further had
    has have having he her here hers him his how i if in into is it its itself just me more
    most my nor now of on once only or other our own same she should so some such than
    that the their them then there these they this those through to too until very was we
    were what when where which while who whom why will with would you your"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def tokens(text: str) -> frozenset[str]:
    """The distinct words of `text`, lower-cased, without stop words or single characters."""
    return frozenset(w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOP_WORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similar(a: frozenset[str], b: frozenset[str], threshold: float = THRESHOLD) -> bool:
    return jaccard(a, b) >= threshold
