"""Why a document matched: shared terms and skills, computed from real tokens.

A term is reported only if its stem occurs in both the brief and the document; it is shown in
the brief's own spelling (first occurrence), so the buyer recognises their words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ml.tokens import raw_tokens, stem, tokenize

MAX_TERMS = 12


def matched_terms(brief_text: str, doc_stems: set[str], limit: int = MAX_TERMS) -> list[str]:
    """Brief words (surface form, stopwords removed) whose stem is in ``doc_stems``."""
    out: list[str] = []
    seen: set[str] = set()
    for tok in raw_tokens(brief_text):
        s = stem(tok)
        if s in doc_stems and s not in seen:
            seen.add(s)
            out.append(tok)
            if len(out) == limit:
                break
    return out


def matched_skills(brief_text: str, wanted: Sequence[str], doc_skills: Iterable[str]) -> list[str]:
    """Document skills that the brief asks for.

    A skill matches when it equals a wanted skill (case-insensitive), or when every token of
    the skill appears in the brief text (e.g. "Adobe Photoshop" in "retouch in Adobe
    Photoshop").
    """
    wanted_l = {w.strip().lower() for w in wanted if w.strip()}
    brief_stems = set(tokenize(brief_text)) | {s for w in wanted for s in tokenize(w)}
    out: list[str] = []
    for skill in doc_skills:
        toks = tokenize(skill)
        if skill.strip().lower() in wanted_l or (toks and all(t in brief_stems for t in toks)):
            out.append(skill)
    return out
