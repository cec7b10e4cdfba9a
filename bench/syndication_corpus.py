"""A labelled syndication corpus for measuring near-duplicate clustering.

Every text is generated here from our own word lists (seeded, reproducible): fictional
shows, people and outlets. A *story* has an original and syndicated copies carrying the
edits syndicators make (another headline, a trimmed or extra intro paragraph, captions
and photo credits, embed placeholders, newsletter prompts, "originally appeared on"
lines, curly quotes, light copy-editing, truncated endings). Hard negatives sit beside
them: *same-topic* stories (two articles on one show with the same cast and network,
one quoting a paragraph of the other) and *series* articles (weekly recaps of one site
sharing long stock intro and outro paragraphs). Some copies point rel=canonical at an
unrelated story, as broken syndicators do.

``Doc.story`` is the ground truth: docs with the same story are copies of each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# --- word lists (fictional)


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_ADJ = _words(
    "Lantern Crimson Silent Golden Hollow Velvet Northern Broken Distant Paper Salt Iron "
    "Glass Midnight Summer Winter Wild Quiet Scarlet Silver Painted Burning Frozen Hidden "
    "Bitter Electric Gentle Ivory Copper Restless Lonely Bright Savage Tender Amber "
    "Cobalt"
)
_NOUN = _words(
    "House Shores Bay Harbour Street Kingdom Garden Station Island Academy Hotel Ridge "
    "Valley Empire Circle Avenue Orchard Lighthouse Crossing Quarter Palace Manor Falls "
    "Springs Tower Heights Bridge Parish Hollow Creek Meadow Pier Lanes Court Row"
)
_FIRST = _words(
    "Harriet Jonah Ines Maya Theo Priya Marisol Gordon Gwen Rae Callum Aisha Felix Nadia "
    "Oscar Leonie Tobias Freya Idris Selma Rupert Anika Declan Hana Lucian Odette Ezra "
    "Mirela Silas Tamsin Bram Celeste Dario Elodie Fintan Greta Hugo Ilse Jasper Kaia "
    "Lorcan Mabel Nico Orla Piers Quinn Rosalind Soren Thea Ulla Vikram Wren Xavi Yara "
    "Zane"
)
_LAST = _words(
    "Quayle Whitlock Carvalho Okonjo Ashdown Lal Keane Pike Tallis Lindqvist Marchetti "
    "Hollis Brennan Varga Oduya Castell Fairweather Nakamura Petrov Delacroix Ambrose "
    "Sinclair Moreau Haddad Kowalski Strand Everly Lindgren Abara Vance Holloway Ferreira "
    "Calloway Dunmore Ravensworth Iqbal Sorensen Trevanion Mbeki Hartigan Leclerc Ostrova"
)
_NETWORK = _words(
    "Brightwave Northlight Channel Nine Vista+ Meridian Kestrel TV Halcyon Orbit Studios "
    "Lumen Beacon One Parallax Tidal Prime Skyline Cascade Fable Network"
)
_CITY = _words(
    "Cornwall Belfast Glasgow Lisbon Manchester Toronto Vancouver Dublin Prague Cardiff "
    "Melbourne Reykjavik Marseille Bristol Valencia Edinburgh Leeds Naples Hamburg Oslo"
)
_MONTH = _words(
    "January February March April May June July August September October November December"
)
_DAY = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
_ROLE = _words(
    "detective|widowed hotelier|ambitious chef|runaway heiress|retired spy|young doctor|"
    "lighthouse keeper|disgraced politician|rookie lawyer|ruthless producer|"
    "village vicar|tormented pianist|fearless journalist|reluctant king|stand-up comic|"
    "marine biologist",
    sep="|",
)
_GENRE = _words(
    "drama|thriller|comedy|period drama|reality series|crime drama|docuseries|"
    "dating show|sitcom|fantasy epic|soap|mystery series|talent show|anthology series",
    sep="|",
)

# Sentence parts; a sentence joins one of each part, so two stories rarely share a
# five-word run unless they share a slot value (a name, a show) and a part.
_OPENERS = [
    "In a move that surprised few fans,",
    "After months of speculation,",
    "Speaking on {day},",
    "Earlier this week,",
    "In a statement released on {day},",
    "According to sources close to the production,",
    "Much to the delight of viewers,",
    "Somewhat unexpectedly,",
    "Before the cameras rolled,",
    "During a panel in {city},",
    "As rumours swirled online,",
    "Late on {day} night,",
    "With filming now under way,",
    "Ahead of the premiere,",
    "In an exclusive chat,",
    "Once again,",
    "Behind the scenes,",
    "At a packed screening in {city},",
    "For the first time since {year},",
    "On the red carpet in {city},",
    "",
][:-1]
_SUBJECTS = [
    "{person}",
    "{show} star {person}",
    "{network}",
    "the makers of {show}",
    "showrunner {person}",
    "the cast of {show}",
    "{person}, who plays the {role},",
    "executive producer {person}",
    "co-star {person2}",
    "{show} creator {person}",
    "the streamer",
    "a spokesperson for {network}",
    "fan favourite {person2}",
    "{person2}, best known as the {role},",
    "",
][:-1]
_VERBS = [
    "confirmed that",
    "revealed that",
    "hinted that",
    "insisted that",
    "admitted that",
    "teased that",
    "announced that",
    "suggested that",
    "joked that",
    "explained that",
    "denied reports that",
    "told reporters that",
    "promised fans that",
    "let slip that",
    "conceded that",
    "",
][:-1]
_CLAUSES = [
    "season {n} would arrive on {network} in {month}",
    "filming had wrapped in {city} after {n} gruelling weeks",
    "the {role} would face a reckoning before the finale",
    "{person2} was returning for at least {n} episodes",
    "the new run would be darker than anything before it",
    "the writers had mapped out {n} more seasons",
    "a spin-off following the {role} was in early development",
    "the budget for the {genre} had doubled",
    "the finale had been rewritten at the last minute",
    "{person2} had turned down the part twice",
    "viewing figures had passed {n} million in the first week",
    "the {genre} would move to a {day} night slot",
    "the premiere date had been pushed back to {month}",
    "a long-lost sibling of the {role} would arrive",
    "the set in {city} had been rebuilt from scratch",
    "the cast had signed on for another {n} years",
    "the soundtrack would feature {n} new songs",
    "the {role} would not survive the opening episode",
    "auditions for a new {role} had begun in {city}",
    "{person2} had been on set since {month}",
    "",
][:-1]
_TAILS = [
    ".",
    ", and fans could hardly contain themselves.",
    ", much to the relief of the crew.",
    ", though nothing has been signed yet.",
    ", according to a post on social media.",
    ", adding that the wait would be worth it.",
    ", a claim the studio has not denied.",
    ", in what critics called a bold gamble.",
    ", with more news expected in {month}.",
    ", something long rumoured among fans.",
    ", which should please longtime viewers.",
    ", though {network} has stayed tight-lipped.",
    "",
][:-1]
_QUOTE_BITS = _words(
    "honestly, we never expected this|it feels like coming home|"
    "there are some huge surprises in store|I cried when I read the last script|"
    "the whole team poured their hearts into it|you have not seen anything yet|"
    "it is the best work we have done|I think people will be shocked|"
    "we wanted to take real risks this time|every episode ends on a cliffhanger|"
    "it was freezing on set most days|the fans are the reason we are still here|"
    "I am so proud of this cast|nobody is safe this season|"
    "we laughed more than we ever have",
    sep="|",
)
# Words dropped into sentences at random places: reporters' prose varies where the
# parts above would repeat word for word across unrelated stories.
_FILLERS = _words(
    "reportedly apparently finally quietly officially now also already still really "
    "clearly openly briefly warmly firmly proudly frankly candidly boldly gladly "
    "eventually recently privately publicly suddenly happily sadly wisely rightly "
    "famously notably allegedly fittingly typically curiously oddly ironically this week "
    "this month last night on Monday in London in public in private at last for now once "
    "more so far yet again by all accounts at the time"
)

# Reporters word the same facts differently: each of these words is swapped for one of
# its alternatives half the time, so unrelated stories built from the same sentence
# parts share few five-word runs (as real same-topic stories do: names, not prose).
_SYNONYMS = {
    w[0]: w
    for w in (
        ["season", "series", "run", "instalment"],
        ["episodes", "instalments", "chapters", "outings"],
        ["fans", "viewers", "audiences", "devotees", "followers"],
        ["finale", "climax", "ending", "conclusion"],
        ["new", "fresh", "upcoming", "latest"],
        ["cast", "ensemble", "line-up", "company"],
        ["filming", "shooting", "production", "photography"],
        ["would", "will", "could", "might"],
        ["confirmed", "announced", "stated", "declared"],
        ["revealed", "disclosed", "shared", "divulged"],
        ["hinted", "implied", "signalled", "suggested"],
        ["more", "further", "additional", "extra"],
        ["after", "following"],
        ["premiere", "debut", "launch", "opener"],
        ["budget", "spend", "funding", "money"],
        ["returning", "coming", "back"],
        ["weeks", "days", "months"],
        ["early", "initial", "preliminary"],
        ["huge", "massive", "major", "big"],
        ["surprises", "shocks", "twists", "turns"],
        ["writers", "scribes", "authors"],
        ["studio", "network", "broadcaster", "channel"],
        ["rumoured", "speculated", "whispered"],
        ["critics", "reviewers", "commentators"],
        ["expected", "anticipated", "due"],
        ["long-lost", "estranged", "secret", "hidden"],
        ["bold", "brave", "risky", "daring"],
        ["pleased", "delighted", "thrilled", "overjoyed"],
        ["set", "location", "backlot"],
        ["signed", "agreed", "finalised"],
        ["wait", "delay", "gap"],
        ["darker", "bleaker", "grimmer"],
        ["gruelling", "exhausting", "punishing", "tough"],
    )
}

_SITES = (
    ("glossmag.example", "Glossmag"),
    ("dailyfeed.example", "Daily Feed"),
    ("newshub.example", "Newshub"),
    ("screenrant-ish.example", "Screen Talk"),
    ("popwire.example", "Popwire"),
    ("tellyweek.example", "Telly Week"),
    ("starbeat.example", "Starbeat"),
    ("thecouch.example", "The Couch"),
    ("reelnews.example", "Reel News"),
    ("bingeguide.example", "Binge Guide"),
    ("celebdesk.example", "Celeb Desk"),
    ("frontrow.example", "Front Row"),
)

EDIT_KINDS = _words(
    "headline trim_intro extra_intro captions embed newsletter originally typography "
    "copyedit truncated"
)


@dataclass(slots=True)
class Doc:
    """One page of the corpus: its text as the extractor would hand it over, and labels."""

    doc_id: int
    story: str  # ground truth: same story = copies of each other
    kind: str  # original | copy
    family: str  # plain | same_topic | series: which hard negatives surround it
    site: str
    site_name: str
    url: str
    title: str
    text: str
    published: str
    canonical_url: str | None = None
    edits: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Entities:
    show: str
    person: str
    person2: str
    network: str
    city: str
    role: str
    genre: str


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def entities(self) -> _Entities:
        r = self.rng
        return _Entities(
            show=f"The {r.choice(_ADJ)} {r.choice(_NOUN)}"
            if r.random() < 0.5
            else f"{r.choice(_ADJ)} {r.choice(_NOUN)}",
            person=f"{r.choice(_FIRST)} {r.choice(_LAST)}",
            person2=f"{r.choice(_FIRST)} {r.choice(_LAST)}",
            network=r.choice(_NETWORK),
            city=r.choice(_CITY),
            role=r.choice(_ROLE),
            genre=r.choice(_GENRE),
        )

    def _fill(self, template: str, e: _Entities) -> str:
        r = self.rng
        return template.format(
            show=e.show,
            person=e.person,
            person2=e.person2 if r.random() < 0.7 else f"{r.choice(_FIRST)} {r.choice(_LAST)}",
            network=e.network,
            city=e.city if r.random() < 0.6 else r.choice(_CITY),
            role=e.role,
            genre=e.genre,
            n=r.choice((2, 3, 4, 5, 6, 8, 10, 12)),
            month=r.choice(_MONTH),
            day=r.choice(_DAY),
            year=r.randint(1998, 2024),
        )

    def sentence(self, e: _Entities) -> str:
        r = self.rng
        if r.random() < 0.22:
            bits = r.sample(_QUOTE_BITS, 2)
            speaker = r.choice((e.person, e.person2, f"{e.show} star {e.person2}"))
            joint = r.choice((", and", ", but", ". And", " - and", ", because", ". Still,"))
            verb = r.choice(("said", "told us", "added", "laughed", "wrote", "insisted"))
            return f'"{bits[0].capitalize()}{joint} {bits[1]}," {speaker} {verb}.'
        parts = [
            r.choice(_OPENERS) if r.random() < 0.6 else "",
            r.choice(_SUBJECTS),
            r.choice(_VERBS),
            r.choice(_CLAUSES),
        ]
        text = self._fill(" ".join(p for p in parts if p), e)
        tokens = text.split()
        for _ in range(r.choice((0, 1, 1, 2, 2, 3))):
            tokens.insert(r.randrange(1, len(tokens) + 1), r.choice(_FILLERS))
        text = " ".join(tokens) + self._fill(r.choice(_TAILS), e)
        text = " ".join(
            r.choice(_SYNONYMS[t]) if t in _SYNONYMS and r.random() < 0.6 else t
            for t in text.split()
        )
        return text[0].upper() + text[1:]

    def paragraph(self, e: _Entities) -> str:
        return " ".join(self.sentence(e) for _ in range(self.rng.randint(2, 4)))

    def story(self, e: _Entities, paragraphs: int) -> list[str]:
        return [self.paragraph(e) for _ in range(paragraphs)]

    def headline(self, e: _Entities) -> str:
        r = self.rng
        return self._fill(
            r.choice(
                (
                    "{show} season {n} finally has a release date",
                    "{person} breaks silence on {show} future",
                    "Everything we know about {show} season {n}",
                    "{show}: {person2} joins the cast as the {role}",
                    "{network} confirms {show} is coming back",
                    "{show} star {person} teases a shocking twist",
                )
            ),
            e,
        )


def _typography(text: str) -> str:
    out, open_quote = [], True
    for ch in text:
        if ch == '"':
            out.append("“" if open_quote else "”")
            open_quote = not open_quote
        elif ch == "'":
            out.append("’")
        else:
            out.append(ch)
    return "".join(out).replace(" - ", " – ")


_COPYEDITS = (
    ("television", "TV"),
    ("programme", "show"),
    ("favourite", "favorite"),
    ("rumours", "rumors"),
    ("season", "series"),
    ("revealed", "said"),
    ("confirmed", "announced"),
)


def _copyedit(paragraphs: list[str], rng: random.Random) -> list[str]:
    edited = list(paragraphs)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(edited))
        old, new = rng.choice(_COPYEDITS)
        edited[i] = edited[i].replace(old, new, 1)
    return edited


class CorpusBuilder:
    """Builds the corpus; one instance per seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.writer = _Writer(self.rng)
        self.docs: list[Doc] = []
        self.originals: list[Doc] = []
        self.hour = 0

    def _url(self, site: str, title: str, n: int) -> str:
        slug = "-".join(title.lower().replace(":", "").replace("+", "").split()[:7])
        return f"https://{site}/tv/{slug}-{n}/"

    def _stamp(self, hours_later: int = 0) -> str:
        day, hour = divmod(self.hour + hours_later, 24)
        month, day = divmod(day, 28)
        return f"2025-{month % 12 + 1:02d}-{day + 1:02d}T{hour:02d}:15:00+00:00"

    def _add(self, **kwargs: object) -> Doc:
        doc = Doc(doc_id=len(self.docs), **kwargs)  # type: ignore[arg-type]
        self.docs.append(doc)
        return doc

    def story(
        self,
        label: str,
        family: str,
        e: _Entities,
        paragraphs: list[str],
        *,
        site: tuple[str, str] | None = None,
        copies: int | None = None,
        edits: list[str] | None = None,
    ) -> Doc:
        """Add an original and its syndicated copies.

        :param edits: the edits every copy gets (default: each kind with chance 0.35)
        """
        rng = self.rng
        self.hour += rng.randint(1, 5)
        host, name = site or rng.choice(_SITES)
        title = self.writer.headline(e)
        original = self._add(
            story=label,
            kind="original",
            family=family,
            site=host,
            site_name=name,
            url=self._url(host, title, len(self.docs)),
            title=title,
            text="\n".join(paragraphs),
            published=self._stamp(),
        )
        original.canonical_url = original.url if rng.random() < 0.9 else None
        self.originals.append(original)
        others = [s for s in _SITES if s[0] != host]
        n_copies = copies if copies is not None else rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))
        for syndicator in rng.sample(others, n_copies):
            self._copy(original, paragraphs, e, syndicator, edits)
        return original

    def _copy(
        self,
        original: Doc,
        paragraphs: list[str],
        e: _Entities,
        site: tuple[str, str],
        edits: list[str] | None = None,
    ) -> None:
        rng = self.rng
        host, name = site
        if edits is None:
            edits = [k for k in EDIT_KINDS if rng.random() < 0.35]
        body = list(paragraphs)
        title = original.title
        if "copyedit" in edits:
            body = _copyedit(body, rng)
        if "trim_intro" in edits and len(body) > 4:
            body = body[1:]
        if "truncated" in edits:
            keep = max(2, round(len(body) * rng.uniform(0.4, 0.9)))
            body = body[:keep]
            if rng.random() < 0.5:
                body.append(f"Read the full story on {original.site_name}.")
        if "extra_intro" in edits:
            body.insert(0, self.writer.paragraph(e))
        if "captions" in edits:
            for _ in range(rng.randint(1, 3)):
                caption = rng.choice(
                    (
                        f"{e.person} as the {e.role} in {e.show}",
                        f"{e.person2} and {e.person} at the {e.show} premiere in {e.city}",
                        f"Photo credit: {e.network}",
                        f"{e.network} / Handout",
                        f"Getty Images for {e.network}",
                    )
                )
                body.insert(rng.randrange(1, len(body) + 1), caption)
        if "embed" in edits:
            body.insert(
                rng.randrange(1, len(body) + 1),
                rng.choice(
                    (
                        "To view this content, you'll need to update your privacy settings. "
                        "Please click here to do so.",
                        "View this post on Instagram",
                        "Embed from Getty Images",
                        "Loading video player...",
                    )
                ),
            )
        if "newsletter" in edits:
            body.insert(
                rng.randrange(len(body) // 2, len(body) + 1),
                rng.choice(
                    (
                        "Like this article? Sign up to our newsletter to get more articles "
                        "like this delivered straight to your inbox.",
                        f"Want more {e.genre} news? Join the free {name} newsletter for "
                        "weekly picks.",
                    )
                ),
            )
        if "originally" in edits:
            body.append(f"This article originally appeared on {original.site_name}")
        text = "\n".join(body)
        if "typography" in edits:
            text = _typography(text)
        if "headline" in edits:
            title = self.writer.headline(e)
        roll = rng.random()
        canonical = original.url if roll < 0.5 else (None if roll < 0.6 else "self")
        doc = self._add(
            story=original.story,
            kind="copy",
            family=original.family,
            site=host,
            site_name=name,
            url=self._url(host, title, len(self.docs)),
            title=title,
            text=text,
            published=self._stamp(rng.randint(1, 30)),
            edits=edits,
        )
        doc.canonical_url = doc.url if canonical == "self" else canonical

    def plain(self, label: str) -> None:
        e = self.writer.entities()
        self.story(label, "plain", e, self.writer.story(e, self.rng.randint(5, 12)))

    def same_topic(self, label: str) -> None:
        """Two or three different stories on one show: same cast, network, city."""
        e = self.writer.entities()
        first = self.writer.story(e, self.rng.randint(5, 11))
        self.story(f"{label}-a", "same_topic", e, first)
        for part in ("b", "c")[: self.rng.randint(1, 2)]:
            other = self.writer.story(e, self.rng.randint(5, 11))
            if self.rng.random() < 0.5:  # the follow-up quotes the earlier report
                other.insert(1, "As we reported earlier: " + self.rng.choice(first))
            self.story(f"{label}-{part}", "same_topic", e, other)

    def series(self, label: str) -> None:
        """Weekly recaps of one show on one site: long stock intro and outro, own middle."""
        e = self.writer.entities()
        site = self.rng.choice(_SITES)
        # stock text of 2-3 paragraphs around a middle of 5-9: 20-40% of each article
        stock = self.writer.story(e, self.rng.randint(2, 3))
        cut = self.rng.randint(1, len(stock) - 1)
        intro, outro = stock[:cut], stock[cut:]
        for week in range(self.rng.randint(3, 6)):
            middle = self.writer.story(e, self.rng.randint(5, 9))
            self.story(f"{label}-w{week}", "series", e, intro + middle + outro, site=site)

    def wrong_canonicals(self, share: float) -> None:
        """Point some copies' canonical at an unrelated story (broken syndicators)."""
        copies = [d for d in self.docs if d.kind == "copy"]
        for doc in self.rng.sample(copies, round(len(copies) * share)):
            doc.canonical_url = self.rng.choice(self.originals).url


def generate_corpus(stories: int, seed: int = 7) -> list[Doc]:
    """Return a shuffled labelled corpus of about ``stories`` stories with their copies.

    Half the stories are plain, a quarter same-topic groups, a quarter series.

    :param stories: roughly how many distinct stories (clusters)
    :param seed: the random seed; one seed always gives the same corpus
    """
    builder = CorpusBuilder(seed)
    made = 0
    n = 0
    while made < stories:
        roll = builder.rng.random()
        before = len({d.story for d in builder.docs})
        if roll < 0.5:
            builder.plain(f"s{n}")
        elif roll < 0.75:
            builder.same_topic(f"t{n}")
        else:
            builder.series(f"r{n}")
        made += len({d.story for d in builder.docs}) - before
        n += 1
    builder.wrong_canonicals(0.03)
    docs = builder.docs
    builder.rng.shuffle(docs)  # copies arrive before their originals, too
    return docs
