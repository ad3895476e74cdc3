"""Tokenisation for the lexical index and for explanations.

Lower-cases, keeps tech-ish tokens intact (``c++``, ``c#``, ``node.js``), drops English
stopwords and applies a *light* suffix stemmer. A full Porter stemmer over-conflates
("university" -> "univers", "organ"/"organize"); the light rules below only fold plural and
common verb/noun inflections, which is what matters for matching a brief's "design logos" to
an offer's "logo design". Measured on the dev set (ml/README.md): light stemming > none.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Letters/digits, allowing inner '.', '+', '#' so "node.js", "c++", "c#" survive.
_TOKEN_RE = re.compile(r"[a-z0-9](?:[a-z0-9+#]|\.(?=[a-z0-9]))*")

STOPWORDS: frozenset[str] = frozenset(
    # Standard English function words plus brief boilerplate ("using", "various").
    (
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "others",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "such",
        "e.g",
        "i.e",
        "one",
        "two",
        "using",
        "use",
        "used",
        "various",
        "including",
        "include",
        "includes",
    )
)

_VOWELS = set("aeiouy")


def _has_vowel(s: str) -> bool:
    return any(ch in _VOWELS for ch in s)


@lru_cache(maxsize=1 << 16)  # vocabularies are Zipfian: a small cache hits almost always
def stem(word: str) -> str:
    """Light English stemmer: plural, -ing, -ed, -ly, -ment/-ness style endings.

    Conservative on purpose: words of <= 4 letters and tokens with digits/symbols are kept.
    """
    w = word
    if len(w) <= 4 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 5:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suf, rep in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("isation", "ize"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("ation", "ate"),
        ("ments", ""),
        ("ment", ""),
        ("ness", ""),
        ("ingly", ""),
        ("edly", ""),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("er", ""),
    ):
        if w.endswith(suf):
            base = w[: len(w) - len(suf)] + rep
            if len(base) >= 3 and _has_vowel(base):
                w = base
                # "designing" -> "design", "mapped" -> "mapp" -> "map", "made" stays
                if rep == "" and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                    w = w[:-1]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]  # "create"/"creating" -> "creat", "image"/"imaging" -> "imag"
    return w


def raw_tokens(text: str) -> list[str]:
    """Lower-cased word tokens with stopwords removed, not stemmed (used for explanations)."""
    return [t for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


def tokenize(text: str) -> list[str]:
    """Index/query tokens: :func:`raw_tokens` then :func:`stem`."""
    return [stem(t) for t in raw_tokens(text)]
