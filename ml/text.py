"""What gets embedded and indexed for an offer (``Document``) and a brief (``Query``).

Measured on the dev set (ml/README.md, "Ablations"):

* dense *main* vector = ``title. description``. Adding the skills list to the embedded text
  hurts (nDCG@10 0.640 -> 0.609): tool names ("Microsoft Excel") dilute MiniLM's sentence
  meaning. Skills still go to the lexical index, where exact tool names are useful.
* dense *extra* vectors: each extra text (package/deliverable description, creator headline,
  alternative titles) is embedded on its own and the document takes the best one
  (max-sim multi-vector). Concatenating them into the main text scores lower
  (0.667 vs 0.709 with 0.6/0.4 weighting), because one long text blurs the meaning of each part.
* lexical text = every field; the title is not repeated (repeating it did not help BM25).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml.tokens import tokenize

MAX_EXTRA_TEXTS = 32  # cap per document: bounds memory and query-time rescoring cost


@dataclass(frozen=True)
class Document:
    """One searchable offer.

    ``id`` is the offer id (int64); ``owner_id`` groups offers of one creator (``None`` means
    the document is its own owner). ``extra`` holds additional short texts — package or
    deliverable descriptions, the creator's headline, alternative titles — each embedded
    separately. ``owner_skills`` are the creator's profile skills (lexical only).
    """

    id: int
    title: str
    description: str = ""
    skills: tuple[str, ...] | list[str] = ()
    kind: str = "service"
    owner_id: int | None = None
    extra: tuple[str, ...] | list[str] = ()
    owner_skills: tuple[str, ...] | list[str] = field(default=())

    @property
    def owner_key(self) -> int:
        """The id used to group results by creator."""
        return self.id if self.owner_id is None else self.owner_id


@dataclass(frozen=True)
class Query:
    """A buyer's brief: what they want, in their words, plus wanted skills."""

    title: str = ""
    description: str = ""
    skills: tuple[str, ...] | list[str] = ()


def _join(*parts: str) -> str:
    """Join fields as sentences ("Title. Description."), without doubling punctuation."""
    out = []
    for p in parts:
        p = p.strip()
        if p:
            out.append(p if p[-1] in ".!?:;" else p + ".")
    return " ".join(out)


def main_text(doc: Document) -> str:
    """Text of the document's main dense vector."""
    return _join(doc.title, doc.description)


def extra_texts(doc: Document) -> list[str]:
    """Texts of the document's extra dense vectors (may be empty)."""
    seen: set[str] = set()
    out: list[str] = []
    for t in doc.extra:
        t = t.strip()
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
        if len(out) == MAX_EXTRA_TEXTS:
            break
    return out


def lexical_text(doc: Document) -> str:
    """All fields, for BM25 and for explanation term matching."""
    return " ".join([doc.title, doc.description, *doc.skills, *doc.extra, *doc.owner_skills])


def lexical_tokens(doc: Document) -> list[str]:
    return tokenize(lexical_text(doc))


def query_text(query: Query) -> str:
    """Text of the brief's dense vector: title, description and wanted skills."""
    skills = ", ".join(query.skills)
    return _join(query.title, query.description, f"Skills: {skills}" if skills else "")


def query_lexical_text(query: Query) -> str:
    return " ".join([query.title, query.description, *query.skills])
