"""Writes tests/sites/syndication/: three fixture sites syndicating one another's stories.

    python -m tests.syndication_site   # rewrite the committed fixture files

The text is fictional and written for reprint (bench/syndication_corpus.py's writer,
fixed seed). ``STORIES`` below is the ground truth the crawl test checks:

- tidings (the original publisher): Glasshouse Bay renewal (A), a separate Glasshouse
  Bay cast interview on the same show with the same people (B), and two weekly
  "Dance Off" recaps sharing a long stock intro and outro (C1, C2);
- relay: A with another headline, an extra intro paragraph, captions and a photo credit,
  an embed placeholder, a newsletter prompt, "This article originally appeared on
  Tidings", curly quotes, canonical to tidings; C1 with its first paragraph trimmed;
- wirepop: A with its first paragraph trimmed and its ending truncated and a canonical
  pointing at itself (as syndicators do); B with newsletter prompts; an unrelated story
  (D) whose canonical wrongly points at A.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench.syndication_corpus import _Entities, _typography, _Writer

ROOT = Path(__file__).parent / "sites" / "syndication"

# story -> {site: path}; the first site listed is the original publisher
STORIES: dict[str, dict[str, str]] = {
    "A": {
        "tidings": "/tv/glasshouse-bay-renewed/",
        "relay": "/ent/glasshouse-bay-is-back-for-season-three.html",
        "wirepop": "/news/2025/05/glasshouse-bay-third-season/",
    },
    "B": {
        "tidings": "/tv/glasshouse-bay-cast-interview/",
        "wirepop": "/news/2025/05/glasshouse-bay-cast-talk/",
    },
    "C1": {
        "tidings": "/tv/dance-off-week-1-recap/",
        "relay": "/ent/dance-off-week-one.html",
    },
    "C2": {"tidings": "/tv/dance-off-week-2-recap/"},
    "D": {"wirepop": "/news/2025/05/harbour-lights-finale/"},
}
SITE_NAMES = {"tidings": "Tidings", "relay": "Relay", "wirepop": "Wirepop"}


def _page(
    site: str,
    title: str,
    blocks: list[str],
    *,
    canonical: str,
    published: str,
) -> str:
    ld = json.dumps(
        {
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published,
            "author": {"name": "Rae Lindqvist"},
        },
        ensure_ascii=False,
    )
    return (
        f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="og:site_name" content="{SITE_NAMES[site]}">'
        f'<script type="application/ld+json">{ld}</script></head><body>'
        f"<nav><a href='/'>Home</a> <a href='/tv/'>TV</a></nav><main><article>"
        f"<h1>{title}</h1>{''.join(blocks)}</article></main>"
        f"<footer><p>© {SITE_NAMES[site]} 2025</p></footer></body></html>\n"
    )


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def build() -> dict[str, dict[str, str]]:
    """Return {site: {path: html}} of the whole fixture web."""
    writer = _Writer(random.Random(2025))
    glass = _Entities(
        show="Glasshouse Bay",
        person="Maya Okonjo",
        person2="Jonah Whitlock",
        network="Brightwave",
        city="Cornwall",
        role="lighthouse keeper",
        genre="drama",
    )
    dance = _Entities(
        show="Dance Off",
        person="Gordon Pike",
        person2="Priya Lal",
        network="Northlight",
        city="Blackpool",
        role="head judge",
        genre="talent show",
    )
    harbour = _Entities(
        show="Harbour Lights",
        person="Ines Carvalho",
        person2="Theo Ashdown",
        network="Meridian",
        city="Belfast",
        role="ambitious chef",
        genre="soap",
    )
    a = writer.story(glass, 9)
    b = writer.story(glass, 8)
    stock = writer.story(dance, 3)
    c1 = stock[:2] + writer.story(dance, 7) + stock[2:]
    c2 = stock[:2] + writer.story(dance, 7) + stock[2:]
    d = writer.story(harbour, 8)

    def url(site: str, story: str) -> str:
        return "{{site:" + site + "}}" + STORIES[story][site]

    web: dict[str, dict[str, str]] = {s: {} for s in SITE_NAMES}
    day = "2025-05-0{}T0{}:00:00+01:00"
    web["tidings"][STORIES["A"]["tidings"]] = _page(
        "tidings",
        "Glasshouse Bay renewed for a third season",
        [_p(x) for x in a],
        canonical=url("tidings", "A"),
        published=day.format(1, 8),
    )
    relay_a = [_p(_typography(x)) for x in [writer.paragraph(glass), *a]]
    relay_a.insert(
        3,
        f"<figure><img src='/i/gb.jpg' alt=''><figcaption>{glass.person2} as "
        f"the {glass.role} in {glass.show}</figcaption></figure>",
    )
    relay_a.insert(4, _p("Photo credit: Brightwave"))
    relay_a.insert(
        6,
        _p(
            "To view this content, you'll need to update your privacy settings. "
            "Please click here to do so."
        ),
    )
    relay_a.insert(
        8,
        _p(
            "Like this article? Sign up to our newsletter to get more articles like this "
            "delivered straight to your inbox."
        ),
    )
    relay_a.append(_p("This article originally appeared on Tidings"))
    web["relay"][STORIES["A"]["relay"]] = _page(
        "relay",
        "Glasshouse Bay is back – and the lighthouse keeper has a secret",
        relay_a,
        canonical=url("tidings", "A"),
        published=day.format(1, 9),
    )
    web["wirepop"][STORIES["A"]["wirepop"]] = _page(
        "wirepop",
        "Brightwave orders more Glasshouse Bay",
        [_p(x) for x in a[1:7]] + [_p("Read the full story on Tidings.")],
        canonical=url("wirepop", "A"),
        published=day.format(1, 7),  # claims an earlier time than the original
    )
    web["tidings"][STORIES["B"]["tidings"]] = _page(
        "tidings",
        "Glasshouse Bay cast on the season that nearly broke them",
        [_p(x) for x in b],
        canonical=url("tidings", "B"),
        published=day.format(2, 8),
    )
    wire_b = [_p(x) for x in b]
    wire_b.insert(4, _p("Want more drama news? Join the free Wirepop newsletter for weekly picks."))
    web["wirepop"][STORIES["B"]["wirepop"]] = _page(
        "wirepop",
        "Glasshouse Bay stars open up",
        wire_b,
        canonical=url("tidings", "B"),
        published=day.format(2, 9),
    )
    for story, text, n in (("C1", c1, 1), ("C2", c2, 2)):
        web["tidings"][STORIES[story]["tidings"]] = _page(
            "tidings",
            f"Dance Off week {n} recap: who went home?",
            [_p(x) for x in text],
            canonical=url("tidings", story),
            published=day.format(3 + n, 8),
        )
    web["relay"][STORIES["C1"]["relay"]] = _page(
        "relay",
        "Dance Off: the first week's results",
        [_p(x) for x in c1[1:]],
        canonical=url("relay", "C1"),
        published=day.format(4, 9),
    )
    web["wirepop"][STORIES["D"]["wirepop"]] = _page(
        "wirepop",
        "Harbour Lights finale leaves fans in tears",
        [_p(x) for x in d],
        canonical=url("tidings", "A"),  # a broken syndicator's canonical: not evidence alone
        published=day.format(5, 9),
    )
    for site, pages in web.items():
        items = "".join(
            f"<item><title>{path}</title><link>{{{{site:{site}}}}}{path}</link></item>"
            for path in pages
        )
        pages["/feed.xml"] = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{SITE_NAMES[site]}</title><link>{{{{site:{site}}}}}/</link>"
            f"{items}</channel></rss>\n"
        )
        pages["/robots.txt"] = "User-agent: *\nAllow: /\n"
    return web


def write(root: Path = ROOT) -> None:
    """Write the fixture web under ``root`` (one directory per site)."""
    for site, pages in build().items():
        for path, body in pages.items():
            target = root / site / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")


if __name__ == "__main__":
    write()
