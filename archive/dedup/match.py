"""Which stored article a page is a copy of (the match policy).

A candidate article (archive/dedup/index.py) is accepted when the page's containment
against the article's representative text reaches ``min_containment``, or
``evidence_containment`` when a rel=canonical link joins the page and a copy of the
article, either way round: evidence lowers the bar, it never replaces the text check.
"Originally appeared on X" names a site, not a story, so it only ranks the accepted
articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.dedup.index import (
    candidate_articles,
    index_page,
    index_params,
    load_signatures,
)
from archive.dedup.minhash import (
    DedupParams,
    Signature,
    band_keys,
    jaccard,
    signature,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class Match:
    """An existing article a page belongs to, and how similar the page's text is to it."""

    article_id: int
    similarity: float  # estimated Jaccard to the article's representative (1.0: same text)
    containment: float = 1.0  # estimated share of the shorter text in the other
    evidence: str | None = None  # "canonical" when a rel=canonical link lowered the bar
    # other articles this page is also a copy of: they are one story, to be merged
    merge: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the matcher reads of the page being placed, besides its text."""

    url: str  # normalised
    text_hash: str
    canonical_key: str | None = None  # rel=canonical, normalised (pages.canonical_key)
    origin: str | None = None  # "originally appeared on X": X


def find_article(
    db: Database,
    page: PageFacts,
    sig: Signature,
    *,
    exclude_page_id: int | None = None,
    params: DedupParams | None = None,
    keys: list[int] | None = None,
) -> Match | None:
    """Return the stored article the page is a copy of, if any.

    :param db: the archive
    :param page: the page's URL, text hash, canonical URL and stated origin
    :param sig: :func:`signature` of the page's clean text
    :param exclude_page_id: the page being (re)saved, which must not match itself
    :param params: the index's parameters (read from the archive when None)
    :param keys: :func:`band_keys` of ``sig``, when already computed
    """
    params = params or index_params(db)
    row = db.execute(
        "SELECT article_id FROM pages WHERE text_hash = ? AND article_id IS NOT NULL"
        " AND id IS NOT ? ORDER BY id LIMIT 1",
        [page.text_hash, exclude_page_id],
    ).fetchone()
    if row:
        return Match(article_id=row[0], similarity=1.0)

    evidence = _evidence(db, page, exclude_page_id)
    found = candidate_articles(
        db, sig, params, linked=evidence, exclude_page_id=exclude_page_id, keys=keys
    )
    if not found.ids:
        return None
    # verified against each article's representative text: a page that merely shares a
    # stock paragraph with one copy must not be chained into the story
    jaccards, shares = found.estimates(sig)
    accepted: list[tuple[float, float, int, str | None]] = []
    for article_id, j, share in zip(found.ids, jaccards, shares, strict=True):
        reason = evidence.get(article_id)
        if share >= (params.evidence_containment if reason else params.min_containment):
            accepted.append((float(share), float(j), article_id, reason))
    if not accepted:
        return None
    # "originally appeared on X" names a site, not a story: every article of X is
    # "evidenced", series siblings included, so it ranks accepted articles but does
    # not lower the bar (measured: lowering it merged weekly recaps of one site)
    named_site = (
        set(_articles_from_origin(db, [a[2] for a in accepted], page.origin))
        if page.origin and len(accepted) > 1
        else set()
    )
    # the canonical-linked article first, then one on the site the page names as its
    # origin, then the closest text; the oldest breaks ties
    accepted.sort(key=lambda a: (a[3] is None, a[2] not in named_site, -a[0], a[2]))
    share, similarity, article_id, reason = accepted[0]
    merge = tuple(sorted(a[2] for a in accepted[1:] if a[0] >= params.merge_containment))
    return Match(article_id, similarity, share, reason, merge)


def _evidence(db: Database, page: PageFacts, exclude_page_id: int | None) -> dict[int, str]:
    """Articles that rel=canonical links with the page, either way round."""
    found: dict[int, str] = {}
    if page.canonical_key:
        target = page.canonical_key
        if target != page.url:
            row = db.execute(
                "SELECT article_id FROM pages WHERE url = ? AND article_id IS NOT NULL"
                " AND id IS NOT ?",
                [target, exclude_page_id],
            ).fetchone()
            if row:
                found[row[0]] = "canonical"
    # copies stored earlier whose canonical points here (the original arrives late)
    for (article_id,) in db.execute(
        "SELECT DISTINCT article_id FROM pages WHERE canonical_key = ?"
        " AND article_id IS NOT NULL AND id IS NOT ? AND url != ?",
        [page.url, exclude_page_id, page.url],
    ):
        found.setdefault(article_id, "canonical")
    return found


def _articles_from_origin(db: Database, articles: Iterable[int], origin: str) -> list[int]:
    """Of these articles, those with a copy on the site named by "originally appeared on"."""
    ids = sorted(articles)
    name = origin.strip().lower()
    host = name.replace(" ", "")
    placeholders = ", ".join("?" * len(ids))
    return [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT article_id FROM pages WHERE article_id IN ({placeholders})"
            " AND (lower(site_name) = ? OR site = ? OR site LIKE ? OR site LIKE ?)",
            [*ids, name, host, f"{host}.%", f"%.{host}.%"],
        )
    ]


def page_similarities(
    db: Database,
    article_id: int,
    representative_page_id: int,
    *,
    only: Iterable[int] | None = None,
) -> dict[int, float]:
    """Estimated Jaccard similarity of each copy of an article to its representative.

    Copies with the representative's exact text get 1.0; pages without a signature are
    left out.

    :param only: these pages of the article (None: all), e.g. the one copy just added
        while the representative stays: the others' similarities have not changed
    """
    rows = db.execute(
        "SELECT id, text_hash FROM pages WHERE article_id = ?", [article_id]
    ).fetchall()
    hashes = dict(rows)
    targets = list(hashes) if only is None else [p for p in only if p in hashes]
    sigs = load_signatures(db, {*targets, representative_page_id})
    rep = sigs.get(representative_page_id)
    rep_hash = hashes.get(representative_page_id)
    result: dict[int, float] = {}
    for page_id in targets:
        text_hash = hashes[page_id]
        if text_hash == rep_hash:
            result[page_id] = 1.0
        elif rep is not None and page_id in sigs:
            result[page_id] = round(jaccard(sigs[page_id], rep), 4)
    return result


def place_page(
    db: Database,
    page_id: int,
    page: PageFacts,
    text: str,
    *,
    params: DedupParams | None = None,
    sig: Signature | None = None,
    keys: list[int] | None = None,
) -> Match | None:
    """Sign a stored page's text, find the article it copies, and index it.

    Everything dedup costs per page: normalise, shingle, signature, candidate query,
    verification, index insert (what bench/dedup.py times).

    :param db: the archive, inside a write transaction
    :param page_id: the page's row id (already inserted)
    :param page: the page's URL, text hash, canonical URL and stated origin
    :param text: the page's clean text
    :param params: the index's parameters (read from the archive when None)
    :param sig: :func:`signature` of ``text`` with ``params``, when already computed (in
        an extraction worker: archive/prepare.py)
    :param keys: :func:`band_keys` of ``sig``, computed with it
    :returns: the article it copies, or None: the page starts a new article
    """
    params = params or index_params(db)
    if sig is None or keys is None:
        sig = signature(text, params)
        keys = band_keys(sig, params)
    match = find_article(db, page, sig, exclude_page_id=page_id, params=params, keys=keys)
    index_page(db, page_id, sig, params, keys=keys)
    return match
