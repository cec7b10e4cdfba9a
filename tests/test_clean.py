"""Syndication boilerplate removal (archive/clean.py) and per-site learning
(archive/sitelearn.py), on pages written for these tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml.html import fromstring

from archive.clean import LINE_PATTERNS, clean_text, line_key, line_kind
from archive.db import open_archive, write_transaction
from archive.discards import discarded_by_name
from archive.errors import NoArticleText
from archive.extract import extract_article
from archive.parse import parse_page
from archive.prose import has_more_prose, shape, word_count
from archive.settings import (
    FULL_CASCADE_MARGIN,
    SITE_LINE_MAX_WORDS,
    SITE_LINE_MIN_ARTICLES,
    SITE_LONG_LINE_MIN_ARTICLES,
)
from archive.sitelearn import LearnedBoilerplate, learned_lines, story_key, threshold
from archive.store import FetchedPage, save_page

from .site_builder import HOUSE_LINE, SITE, STORIES, STORY, TITLE, article_page

if TYPE_CHECKING:
    from sqlite_utils import Database

PAGES = Path(__file__).parent / "sites" / "syndication"


# One real example of every kind of known boilerplate, as syndicators print it.
KIND_EXAMPLES = [
    (
        "embed_placeholder",
        "To view this content, you'll need to update your privacy settings. "
        "Please click here to do so.",
    ),
    (
        "embed_placeholder",
        "This content is imported from Instagram. You may be able to find the same content "
        "in another format, or you may be able to find more information, at their web site.",
    ),
    ("photo_credit", "Photo credit: Brightwave"),
    ("photo_credit", "(Photo: Getty Images)"),
    ("photo_credit", "Marlow Finch on stage in Leeds last spring (Photo: Getty Images)"),
    ("photo_credit", "The festival field at dusk. Photo by: 'Kit Arden'."),
    (
        "newsletter",
        "Like this article? Sign up to our newsletter to get more articles like this "
        "delivered straight to your inbox.",
    ),
    ("newsletter", "SIGN UP"),
    ("newsletter", "Never miss a story"),
    ("newsletter", "Great, you're subscribed!"),
    (
        "newsletter",
        "Love folk music? Our Green Room newsletter has the week's best gigs, delivered to "
        "your inbox. Sign up now and never miss a show.",
    ),
    ("newsletter", "The best of Tidings, delivered to your inbox every morning"),
    (
        "newsletter",
        "Thanks for subscribing! Look out for your first newsletter in your inbox soon!",
    ),
    (
        "newsletter",
        "By entering your email address you agree to our Terms of Use and Privacy Policy "
        "and consent to receive emails from Tidings about news and events.",
    ),
    (
        "newsletter",
        "Get Tidings Monthly delivered through your letterbox every month. 12 issues for "
        "£11.99. Click here for more information.",
    ),
    (
        "cookie_notice",
        "This website uses cookies to improve your experience. By clicking Accept you are "
        "agreeing to our Privacy Policy.",
    ),
    (
        "cookie_notice",
        "Necessary cookies are absolutely essential for the website to function properly.",
    ),
    ("cookie_notice", "Cookie Settings"),
    ("paywall", "Already have an account? Sign in"),
    ("paywall", "This story is exclusive to Tidings Plus subscribers"),
    ("paywall", "Subscribe to continue reading"),
    ("social", "Share this article"),
    ("social", "Follow Tidings on Telegram and Google News for the latest updates."),
    (
        "social",
        "Tidings is a production of Harbour Media. If you liked this post, please share it "
        "with a friend who loves folk music.",
    ),
    ("social", "Follow Tidings on Instagram, TikTok and X."),
    ("social", "Follow Tidings' full coverage of the festival at https://tidings.example/fest"),
    ("social", "Have a tip? Rae Lindqvist may be reached at rae@tidings.example."),
    ("related_heading", "You Might Also Like"),
    ("related_heading", "Most read"),
    ("related_heading", "You may also be interested in..."),
    ("related_heading", "More great Tidings stories"),
    ("related_heading", "Related reads"),
    ("related_heading", "Trending in Music"),
    ("related_link", "Read more: Harbour Lane legend quits after 22 years"),
    ("related_link", "Related: Every bombshell from the Paradise Shores reunion"),
    ("originally_appeared", "This article originally appeared on Glossmag"),
    ("originally_appeared", "The post Marlow Finch to headline appeared first on Glossmag."),
    ("ad_marker", "Advertisement"),
    ("ad_marker", "Story continues below advertisement"),
    ("ad_marker", "We may earn a commission from links on this page."),
    ("copyright", "© 2025 Tidings Media Ltd. All rights reserved."),
    ("markup_value", "2025-05-01T09:00:00+01:00"),
    (
        "markup_value",
        '[button link="https://tidings.example/review/" type="big"]Send us your review[/button]',
    ),
    ("markup_value", '[gallery ids="4,5,6"]'),
    ("ui_label", "12 Comments"),
    ("ui_label", "Table of Contents"),
    ("ui_label", "About the Author:"),
    ("ui_label", "Last updated on:"),
    ("ui_label", "Request a Demo"),
    ("ui_label", "Try Tidings Plus Today"),
    ("ui_label", "Watch Now >"),
    ("ui_label", "PUBLISHED"),
    ("taxonomy", "Tags: Folk, Festivals, Saltmere"),
    ("taxonomy", "Filed under: Music |"),
    ("taxonomy", "Posted in Music, Live Reviews"),
    ("placeholder", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod."),
    (
        "comment_policy",
        "Atenção: comentários ofensivos ou fora do tema não serão aprovados pelo moderador.",
    ),
    ("comment_policy", "Comments are moderated and may take a day to appear."),
    ("comment_policy", "Your comment will be reviewed before it is published."),
    ("placeholder", "Lorem ipsum 3"),
    ("reading_time", "6 min read"),
    ("reading_time", "May 1, 2025 • 4 Minute Read"),
    ("reading_time", "Tempo de leitura: 2 minutos"),
    ("byline", "By Rae Lindqvist"),
    ("byline", "Published 1 May 2025"),
    ("byline", "UPDATED: Thu., May 1, 2025"),
    ("byline", "May 1, 2025"),
    ("byline", "01.05.2025"),
    ("byline", "quinta-feira, 1 de maio de 2025 às 9:30"),
    ("byline", "Reporting by Rae Lindqvist; Editing by Ola Brandt"),
    ("byline", "기사입력 :[ 2025-05-01 09:30 ]"),
]

# Story sentences that share words with boilerplate and must stay.
STORY_LOOKALIKES = [
    "She said she would sign up to our newsletter of life lessons any day, laughing.",
    "By the end of the night the crowd had learned every word of the chorus.",
    "Updated figures released in 2019 show the festival's audience has doubled.",
    "Fans who follow the band closely will recognise the cover photo from its debut.",
    "The photo, taken by her brother, became the cover of the album.",
    "Related to the headliner by marriage, the support act is a local favourite.",
    "Advertising executives were among the crowd at the launch in London.",
    "Read the lyrics closely and the song is about the village she grew up in.",
    "By Friday, tickets had sold out.",
    "Any cookies that are left over go to the food bank, the bakery said.",
    "We use cookies and cream from the dairy down the lane in every batch.",
    "Thanks for subscribing to the festival fund, she told donors. The email went out at noon.",
    "By entering your name in the ballot, you agree to nothing more than a chance at tickets.",
    "Workers may receive compensation under the new law.",
    "Copyright law changed in 2019.",
    "Photographs by her brother hang in the hall.",
    "Register now for the vote, officials urged residents.",
    "The council's report is a 40 min read, and worth every minute of it.",
    "Reading time is precious for parents of three, she said.",
    "Posted in the group chat, the photo went viral within hours.",
    "Filed under the wrong name for years",
    "She was already a member of the band when it signed its first deal.",
    "You're subscribed to heartbreak if you back this team, he joked.",
    "If you value quiet, the campsite on the far side of the green is the better pick.",
    "editing by hand, and a fair bit of patience, got the recording finished.",
    "El 1 de mayo de 2025 llegó la lluvia al festival.",
    "Registration for the fun run opened on Monday. Sign up today at the village hall.",
    "She kept one picture. Photo albums, she said, were for people with more wall space.",
    "More stories like hers are told every summer in Saltmere.",
    "Other stories from the festival were less happy.",
    "[Update] The ferry now leaves at ten.",
    "The poster still said lorem ipsum where the headliner's name should have been.",
    "Comments will be reviewed by the council before the vote in May.",
    "Comments on the festival's page were mostly kind, she said.",
    "[1]",
    "You may also be interested in the ferry times, she added.",
    # a month heads a section; a date with a colon opens an entry
    "June 2025",
    "2025-05-01:",
    "Bills delivered to your inbox can now be paid online, the council said.",
    "The magazine sold 12 issues for $3 each in 1950, the archive shows.",
    "Watch the band closely now and you will see the drummer counting.",
    "Start today, the coach told them. Tomorrow is too late.",
    "Fans follow the live coverage of every match on the radio.",
    # a date's label that opens a sentence
    "Published on a Friday, the album sold out by Monday.",
    "Editor verified the quotes with both bands.",
    "수정 작업은 2025년에 끝났다.",
]


@pytest.mark.parametrize(("kind", "line"), KIND_EXAMPLES)
def test_each_boilerplate_kind_is_recognised(kind: str, line: str) -> None:
    assert line_kind(line) == kind
    cleaned = clean_text("\n".join([STORY[0], line, STORY[1]]))
    assert cleaned.text.splitlines() == STORY[:2]
    assert cleaned.removed == {kind: 1}


@pytest.mark.parametrize(("kind", "line"), KIND_EXAMPLES)
def test_a_boilerplate_line_written_as_a_list_item_is_recognised(kind: str, line: str) -> None:
    # trafilatura writes list items as "- item"
    assert line_kind(f"- {line}") == kind
    assert line_kind(f"• {line}") == kind


@pytest.mark.parametrize("sentence", STORY_LOOKALIKES)
def test_story_sentences_that_look_like_boilerplate_stay(sentence: str) -> None:
    assert line_kind(sentence) is None
    assert line_kind(f"- {sentence}") is None
    assert clean_text(f"{STORY[0]}\n{sentence}").text == f"{STORY[0]}\n{sentence}"


def test_every_pattern_kind_has_an_example() -> None:
    assert set(LINE_PATTERNS) | {"byline"} == {kind for kind, _ in KIND_EXAMPLES}


@pytest.mark.parametrize(("kind", "line"), KIND_EXAMPLES)
def test_extraction_removes_each_kind_from_a_page(kind: str, line: str) -> None:
    page = article_page([STORY[0], STORY[1], line, STORY[2], STORY[3]])
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert line not in ex.text
    for sentence in STORY:
        assert sentence in ex.text


def test_origin_is_recorded_as_evidence() -> None:
    cleaned = clean_text(f"{STORY[0]}\nThis article originally appeared on Glossmag.")
    assert cleaned.origin == "Glossmag"
    cleaned = clean_text(f"{STORY[0]}\nThis story was first published by Hollow Pine Media")
    assert cleaned.origin == "Hollow Pine Media"


def test_lines_after_a_related_heading_stay_unless_they_are_boilerplate() -> None:
    # removal by content, not by position: the heading goes, what follows it is judged
    # on its own (a story's sub-heading, a table row, a resource list)
    after = ["Trend 5: Exercises for mental health", "| Haier | Louisville | KY | 6,000 |"]
    text = "\n".join([STORY[0], "You Might Also Like", *after, "Advertisement", STORY[1]])
    cleaned = clean_text(text)
    assert cleaned.text.splitlines() == [STORY[0], *after, STORY[1]]
    assert cleaned.removed == {"related_heading": 1, "ad_marker": 1}


def test_headline_repeated_at_the_top_is_metadata_not_text() -> None:
    cleaned = clean_text(f"{TITLE}\n{STORY[0]}\n{TITLE}", titles=[TITLE])
    # only the leading copy is the headline; later, the words are the story's own
    assert cleaned.text == f"{STORY[0]}\n{TITLE}"
    assert cleaned.removed == {"headline": 1}


@pytest.mark.parametrize(
    "title", [f"{TITLE} | Tidings", f"{TITLE} - Tidings Music", f"Tidings — {TITLE}"]
)
def test_the_headline_is_found_in_a_title_that_names_the_site(title: str) -> None:
    cleaned = clean_text(f"{TITLE}\n{STORY[0]}", titles=[title])
    assert cleaned.text == STORY[0]
    assert cleaned.removed == {"headline": 1}


def test_a_first_line_that_is_part_of_a_headline_stays() -> None:
    # "Marlow Finch" is only the start of the headline "Marlow Finch: ...", not the headline
    cleaned = clean_text(f"Marlow Finch\n{STORY[0]}", titles=[f"Marlow Finch: {TITLE}"])
    assert cleaned.text == f"Marlow Finch\n{STORY[0]}"


def test_dom_pruning_removes_related_lists_link_blocks_and_hidden_markup() -> None:
    extra = (
        "<h3>You Might Also Like</h3><ul><li><a href='/a'>Another show is back</a></li>"
        "<li><a href='/b'>A star quits a soap</a></li></ul>"
        "<div style='display: none' itemscope itemtype='https://schema.org/NewsArticle'>"
        f"<div itemprop='headline'>{TITLE}</div>"
        "<div itemprop='datePublished'>2025-05-01T09:00:00+01:00</div>"
        f"<div itemprop='articleBody'>{STORY[0]}</div></div>"
    )
    recirculation = "<a href='/tv/harbour-lane'>HARBOUR LANE STAR QUITS AFTER 22 YEARS</a>"
    page = article_page([STORY[0], recirculation, *STORY[1:]], extra=extra)
    ex = extract_article(page, "https://tidings.example/music/finch")
    for junk in ("You Might Also Like", "Another show", "HARBOUR LANE", "2025-05-01"):
        assert junk not in ex.text
    assert ex.text.count(STORY[0]) == 1
    assert ex.removed["related_heading"] == 1
    assert ex.removed["link_block"] == 1
    assert ex.removed["hidden_markup"] == 1


REPUBLISH_TERMS = [
    "We are happy for our stories to be shared, and ask that you follow these guidelines "
    "when you republish one of them for your own readers.",
    "Please credit the writer, keep the story whole and link back to the original page.",
]


def test_a_block_an_inline_style_hides_is_removed() -> None:
    # a "Republish this article" dialog a script opens, left in the article's markup
    terms = "".join(f"<p>{line}</p>" for line in REPUBLISH_TERMS)
    dialog = (
        f"<div class='modal' style='display:none;'><h2>Republish this article</h2>{terms}</div>"
    )
    # a look-alike that stays: a styled paragraph readers see, "none" in its style
    shown = "<p style='font-family: none; color: #333'>The line-up is announced in June.</p>"
    page = article_page([STORY[0], STORY[1]], extra=f"{dialog}{shown}<p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "Republish" not in ex.text
    assert not any(line in ex.text for line in REPUBLISH_TERMS)
    assert ex.text.splitlines() == [
        STORY[0],
        STORY[1],
        "The line-up is announced in June.",
        STORY[2],
    ]
    assert ex.removed["hidden_block"] == 1


@pytest.mark.parametrize("frame", ["body", "main", "article"])
def test_an_article_a_page_hides_until_a_script_shows_it_stays(frame: str) -> None:
    page = article_page(list(STORY)).replace(
        f"<{frame}>".encode(), f"<{frame} style='display: none'>".encode()
    )
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert ex.text.splitlines() == list(STORY)
    assert "hidden_block" not in ex.removed


def test_teasers_that_link_part_of_their_words_under_a_related_heading_are_removed() -> None:
    teasers = (
        "<li>The ferry runs all night, <a href='/news/ferry'>and the harbour is ready</a></li>"
        "<li>A bakery wins the county prize. <a href='/news/bakery'>Its owners explain</a></li>"
    )
    # look-alikes that stay: the story's own list under the same heading, one of its items
    # without a link
    own = (
        "<li>Doors open at six on the harbour stage.</li>"
        "<li>Residents may book early, <a href='/tickets'>at the box office</a></li>"
    )
    for items, removed in ((teasers, True), (own, False)):
        extra = f"<div class='heading-h3'>More Great Tidings Stories</div><ul>{items}</ul>"
        ex = extract_article(article_page(list(STORY), extra=extra), "https://tidings.example/a")
        assert ("Doors open at six" in ex.text) is not removed
        assert "ferry runs all night" not in ex.text
        assert all(sentence in ex.text for sentence in STORY)


def test_a_block_of_linked_teaser_headings_under_a_related_heading_is_removed() -> None:
    # a template's heading in a bare <div>, then a block of links that each wrap a
    # thumbnail and a headline
    teasers = "".join(
        f"<a href='/music/{slug}'><img src='/{slug}.jpg' alt=''><h3>{headline}</h3></a>"
        for slug, headline in (
            ("tour", "Saltmere Week 2025 | The harbour stage returns"),
            ("choir", "Saltmere Week 2025 | A choir of three hundred"),
            ("lights", "Saltmere Week 2025 | Lanterns over the bay"),
        )
    )
    extra = f"<div class='title-bar'>You may also be interested in...</div><div>{teasers}</div>"
    page = article_page(list(STORY), extra=extra)
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "Saltmere Week" not in ex.text
    assert ex.text.splitlines() == list(STORY)
    assert ex.removed["related_heading"] == 1


TWEET = (
    "<blockquote class='twitter-tweet'><p>Saltmere, I am coming home this summer and I "
    "cannot wait to see every one of you there</p>— Marlow Finch (@marlowfinch) "
    "<a href='https://x.example/status/1'>May 1, 2025</a></blockquote>"
)


@pytest.mark.parametrize(
    "tweet",
    [
        f"<div class='social-media-embed'>{TWEET}</div>",
        # a news template's three wrappers, the outer one a "widget"
        "<div class='article-widget article-tweet'><div class='article-tweet__inner'>"
        f"<div class='article-tweet__content'>{TWEET}</div></div></div>",
    ],
)
def test_embedded_social_post_is_kept_as_a_quote(tweet: str) -> None:
    page = article_page(
        [STORY[0], STORY[1]], extra=tweet + "".join(f"<p>{p}</p>" for p in STORY[2:])
    )
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "I am coming home this summer" in ex.text


def test_republished_page_keeps_only_the_story() -> None:
    """A Yahoo-style republished magazine story (tests/sites/syndication)."""
    page = (PAGES / "republished.html").read_bytes()
    expected = json.loads((PAGES / "republished.json").read_text(encoding="utf-8"))
    ex = extract_article(page, "https://dailywire.example/entertainment/finch-123.html")
    for snippet in expected["must_contain"]:
        assert snippet in ex.text
    for snippet in expected["must_not_contain"]:
        assert snippet not in ex.text, snippet
    assert ex.origin == "Glossmag"
    assert ex.text.splitlines()[0].startswith(expected["must_contain"][0])


# --- per-site learning -----------------------------------------------------------------

SHARED_SENTENCE = "The Saltmere Folk Festival runs from 4 to 6 July on the village green."


def _site_page(story: str, *, with_house_line: bool = True, shared: bool = False) -> bytes:
    paragraphs = list(STORIES[story])
    if shared:
        paragraphs.insert(1, SHARED_SENTENCE)
    if with_house_line:
        paragraphs.insert(2, HOUSE_LINE)
    return article_page(paragraphs)


def _store(db: Database, story: str, body: bytes, site: str = SITE) -> None:
    url = f"https://{site}/news/{story}/"
    save_page(db, FetchedPage(url, url, body, extract_article(body, url)))


def test_a_new_site_learns_its_boilerplate_after_a_few_stories(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    with write_transaction(db):
        _store(db, "finch", _site_page("finch", shared=True))
        _store(db, "ferry", _site_page("ferry", shared=True))
        assert line_key(HOUSE_LINE) not in learned_lines(db, SITE)  # two stories: not yet
        _store(db, "bakery", _site_page("bakery"))
    learned = learned_lines(db, SITE)
    assert line_key(HOUSE_LINE) in learned
    # in two stories only: a sentence the stories share, never the site's template
    assert line_key(SHARED_SENTENCE) not in learned

    ex = extract_article(
        _site_page("lifeboat", shared=True),
        f"https://{SITE}/news/lifeboat/",
        site_boilerplate=learned,
    )
    assert HOUSE_LINE not in ex.text
    assert SHARED_SENTENCE in ex.text
    assert ex.removed["site_learned"] == 1
    for sentence in STORIES["lifeboat"]:
        assert sentence in ex.text


def test_a_line_of_one_story_is_never_learned(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    head = f'<link rel="canonical" href="https://{SITE}/news/finch/">'
    with write_transaction(db):
        for path in ("news/finch/", "amp/news/finch/", "music/finch/", "news/finch/?p=2"):
            # one story under several URLs that name one canonical URL
            url = f"https://{SITE}/{path}"
            page = article_page([STORY[0], HOUSE_LINE, *STORY[1:]], head=head)
            save_page(db, FetchedPage(url, url, page, extract_article(page, url)))
    assert learned_lines(db, SITE) == frozenset()


def test_threshold_grows_with_the_site() -> None:
    assert threshold(0) == SITE_LINE_MIN_ARTICLES
    assert threshold(10) == SITE_LINE_MIN_ARTICLES
    assert threshold(10_000) == 200
    assert threshold(10, long=True) == SITE_LONG_LINE_MIN_ARTICLES
    assert threshold(100, long=True) == 30


# A long editorial note a site prints under every story (over SITE_LINE_MAX_WORDS words)
DISCLAIMER = (
    "Tidings is an independent publication and the opinions expressed in this article are "
    "those of its author alone; they do not necessarily reflect the views of the editors, "
    "our parent company or our advertisers. Tidings may receive a share of ticket sales "
    "when readers buy through links in our listings, which helps fund our journalism. We "
    "correct errors promptly: readers who believe a story contains an error can write to "
    "the corrections editor, whose address appears on our contact page, and we will review "
    "every request within five working days."
)


def _numbered_story(number: int) -> list[str]:
    return [f"Dispatch {number} from the Saltmere coast: {line}" for line in STORY]


def test_a_long_line_is_learned_only_from_a_large_share_of_the_sites_stories(
    tmp_path: Path,
) -> None:
    assert len(DISCLAIMER.split()) > SITE_LINE_MAX_WORDS
    db = open_archive(tmp_path / "a.db")
    with write_transaction(db):
        for number in range(SITE_LONG_LINE_MIN_ARTICLES - 1):
            _store(db, f"d{number}", article_page([*_numbered_story(number), DISCLAIMER]))
    # in nine stories, every one the site has: a short line would be learned by now
    assert line_key(DISCLAIMER) not in learned_lines(db, SITE)
    with write_transaction(db):
        number = SITE_LONG_LINE_MIN_ARTICLES
        _store(db, f"d{number}", article_page([*_numbered_story(number), DISCLAIMER]))
    learned = learned_lines(db, SITE)
    assert line_key(DISCLAIMER) in learned
    ex = extract_article(
        article_page([*STORIES["ferry"], DISCLAIMER]),
        f"https://{SITE}/news/ferry/",
        site_boilerplate=learned,
    )
    assert DISCLAIMER not in ex.text
    assert ex.text.splitlines() == STORIES["ferry"]


def test_learned_boilerplate_cache_reads_the_archive_and_refreshes(tmp_path: Path) -> None:
    now = [0.0]
    cache = LearnedBoilerplate(tmp_path / "a.db", refresh_s=10, clock=lambda: now[0])
    assert cache.for_site(SITE) == frozenset()  # no archive yet
    db = open_archive(tmp_path / "a.db")
    with write_transaction(db):
        for story in ("finch", "ferry", "bakery"):
            _store(db, story, _site_page(story))
    assert cache.for_site(SITE) == frozenset()  # cached until the refresh interval
    now[0] = 11.0
    assert line_key(HOUSE_LINE) in cache.for_site(SITE)
    assert cache.for_site("other.example") == frozenset()
    assert LearnedBoilerplate(None).for_site(SITE) == frozenset()
    cache.close()


def test_bold_word_opening_a_story_sentence_is_not_a_related_heading() -> None:
    sentence = (
        "<strong>Trending</strong> <a href='/tag/finch'>#MarlowFinch</a> was the top hashtag "
        "in Britain on Tuesday night, with fans sharing clips of her last tour."
    )
    inline_related = (
        "<strong>Related:</strong> <a href='/tv/harbour'>Harbour Lane legend quits after "
        "22 years</a>"
    )
    page = article_page([STORY[0], sentence, STORY[1], inline_related, *STORY[2:]])
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "Trending #MarlowFinch was the top hashtag" in " ".join(ex.text.split())
    assert "Harbour Lane" not in ex.text


def test_story_key_ignores_a_canonical_that_names_the_home_page() -> None:
    page = "https://kettle.example/news/ferry/?utm_source=x"
    assert story_key(page, "https://kettle.example/news/ferry/") == story_key(page, None)
    assert story_key(page, "https://kettle.example/") == "https://kettle.example/news/ferry/"
    assert story_key(page, "https://glossmag.example/tv/x/") == "https://glossmag.example/tv/x/"


# --- what the page is: article gate and candidate choice (archive/extract.py, prose.py) --

BRIEF = [
    "Saltmere's harbour will close to boats on Saturday while divers repair the old sea wall.",
    "It reopens on Monday morning, the council said.",
]
ARTICLE_HEAD = '<meta property="og:type" content="article">'


def test_a_news_brief_that_says_it_is_an_article_is_kept() -> None:
    ex = extract_article(article_page(BRIEF, head=ARTICLE_HEAD), "https://tidings.example/brief")
    assert ex.text.splitlines() == BRIEF


def test_a_short_page_that_does_not_say_it_is_an_article_is_refused() -> None:
    with pytest.raises(NoArticleText, match="fewer than 60"):
        extract_article(article_page(BRIEF), "https://tidings.example/brief")


def test_captions_are_not_a_brief_even_on_an_article_page() -> None:
    captions = [f"{name} in midnight velvet." for name in ("Imogen Varley", "Marlow Finch")]
    with pytest.raises(NoArticleText):
        extract_article(
            article_page(captions, head=ARTICLE_HEAD), "https://tidings.example/gallery"
        )


def test_a_page_of_headline_links_is_not_anarticle_page() -> None:
    # a home page: 400 words of links to stories, no sentence
    headlines = [
        f"<li><a href='/news/{i}'>Saltmere council story number {i} about harbour works "
        "and the festival</a></li>"
        for i in range(40)
    ]
    page = (
        "<html><head><title>Tidings</title><meta property='og:type' content='website'>"
        f"</head><body><main><ul>{''.join(headlines)}</ul></main></body></html>"
    ).encode()
    with pytest.raises(NoArticleText, match="0 in sentences"):
        extract_article(page, "https://tidings.example/")


def test_the_json_ld_article_body_is_taken_when_the_page_shows_a_fragment() -> None:
    body = "\n".join(STORY + STORIES["ferry"] + STORIES["bakery"])
    ld = json.dumps({"@type": "NewsArticle", "headline": TITLE, "articleBody": body})
    head = f'<script type="application/ld+json">{ld}</script>'
    ex = extract_article(article_page(STORY[:2], head=head), "https://tidings.example/music/finch")
    assert ex.text.splitlines() == body.splitlines()


def test_a_json_ld_teaser_does_not_replace_the_story() -> None:
    ld = json.dumps({"@type": "NewsArticle", "articleBody": STORIES["ferry"][0]})
    head = f'<script type="application/ld+json">{ld}</script>'
    ex = extract_article(article_page(STORY, head=head), "https://tidings.example/music/finch")
    assert ex.text.splitlines() == STORY


def test_a_menu_longer_than_the_story_is_not_chosen_over_it() -> None:
    menu = shape("\n".join(f"Section {i}\nAcesso à Informação\nOuvidoria" for i in range(100)))
    story = shape("\n".join(BRIEF))
    assert menu.words > story.words
    assert not has_more_prose(menu, story, FULL_CASCADE_MARGIN)
    # a candidate with clearly more of the story does replace a fragment
    assert has_more_prose(shape("\n".join(STORY)), story, FULL_CASCADE_MARGIN)


def test_prose_shape_tells_sentences_from_labels() -> None:
    menu = "Home\nNews\nTV and radio\nCelebrity\nGalleries\nAbout us"
    assert shape(menu).prose_words == 0
    assert shape("\n".join(STORY)).prose_share == 1.0
    # unspaced scripts count words by characters, not by runs of letters
    assert word_count("東京の電車は今日も混んでいます。") > 5


# --- lists that are content, and lines that are parts of placeholders ----------------


def test_a_list_of_linked_items_is_content() -> None:
    patches = "".join(
        f"<li><p><a href='https://git.example/c/{i}'>libgccjit: Fix support for case {i}</a>"
        "</p></li>"
        for i in range(5)
    )
    page = article_page([STORY[0], STORY[1]], extra=f"<ul>{patches}</ul><p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "libgccjit: Fix support for case 4" in ex.text


def test_tour_dates_linking_to_tickets_are_not_recirculation_links() -> None:
    dates = ["June 23 – Jiffy Lube Live, Bristow, VA", "25 June – Hollywood Bowl, Los Angeles"]
    linked = [f"<a href='/tickets/{i}'>{d}</a>" for i, d in enumerate(dates)]
    page = article_page([*STORY[:3], *linked, STORY[3]])
    ex = extract_article(page, "https://tidings.example/music/finch")
    for line in dates:
        assert line in ex.text


def test_the_second_half_of_a_split_embed_placeholder_is_removed() -> None:
    placeholder = [
        "To view this content, you'll need to update your privacy settings.",
        "Please click here to do so.",
    ]
    cleaned = clean_text("\n".join([STORY[0], *placeholder, STORY[1]]))
    assert cleaned.text.splitlines() == STORY[:2]
    assert cleaned.removed == {"embed_placeholder": 2}


def test_text_is_nfc_normalised() -> None:
    decomposed = "Cafe\u0301 de Saltmere reopens"  # e + combining acute accent
    page = article_page([*STORY, decomposed])
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "Caf\u00e9 de Saltmere reopens" in ex.text


# --- teaser cards of other stories, and lists of linked headings that are content ------

CARD_HEADLINES = [
    "Harbour Lane star quits after 22 years",
    "Paradise Shores reunion: every bombshell",
    "Glasswing announce a farewell tour",
]


def _cards(headlines: list[str], *, href: str = "/tv/{i}", under: str = "") -> str:
    """A <ul> of cards: thumbnail, a heading that is one link, and ``under`` it."""
    return (
        "<ul>"
        + "".join(
            f"<li><img src='/thumbs/{i}.jpg' alt=''><h3><a href='{href.format(i=i)}'>{h}</a></h3>"
            f"{under}</li>"
            for i, h in enumerate(headlines)
        )
        + "</ul>"
    )


CARD_SUBLINE = "<p>The cast said goodbye on set this week</p>"


def test_a_list_of_teaser_cards_inside_the_story_is_removed() -> None:
    cards = _cards(CARD_HEADLINES, under=CARD_SUBLINE)
    page = article_page([STORY[0], STORY[1]], extra=f"{cards}<p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    for headline in CARD_HEADLINES:
        assert headline not in ex.text
    assert "goodbye on set" not in ex.text
    assert ex.text.count(STORY[2]) == 1
    assert ex.removed["teaser_cards"] == 1


def test_a_block_of_article_teasers_is_removed() -> None:
    teasers = "".join(
        f"<article><img src='/thumbs/{i}.jpg' alt=''><h2><a href='/tv/{i}'>{h}</a></h2>"
        f"<span>News</span></article>"
        for i, h in enumerate(CARD_HEADLINES)
    )
    page = article_page([STORY[0], STORY[1]], extra=f"<div>{teasers}</div><p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    for headline in CARD_HEADLINES:
        assert headline not in ex.text
    assert ex.removed["teaser_cards"] == 1


def test_the_short_last_row_of_a_grid_of_cards_goes_with_the_full_rows() -> None:
    more = ["Saltmere ferry to run all night", "Bakery named best in the county"]
    grid = f"<div class='grid'>{_cards(CARD_HEADLINES, under=CARD_SUBLINE)}"
    grid += f"{_cards(more, under=CARD_SUBLINE)}</div>"
    page = article_page([STORY[0], STORY[1]], extra=f"{grid}<p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    for headline in [*CARD_HEADLINES, *more]:
        assert headline not in ex.text
    assert ex.removed["teaser_cards"] == 2


# An entry of its own: more words than a card's subline
LISTICLE_ENTRY = (
    "<p>It folds flat into a coat pocket, lasts a whole festival weekend on one charge and "
    "kept the rain out through three days of storms, which is more than any of the other "
    "pairs we wore in the field could say for themselves.</p>"
)
TOC = (
    "<ol>"
    + "".join(
        f"<li><h4><a href='#part-{i}'>{h}</a></h4></li>" for i, h in enumerate(CARD_HEADLINES)
    )
    + "</ol>"
)


@pytest.mark.parametrize(
    "listing",
    [
        # a listicle: each linked heading has a paragraph of its own under it
        _cards(CARD_HEADLINES, href="/reviews/{i}", under=LISTICLE_ENTRY),
        # products linking to a shop, not to the site's stories
        _cards(CARD_HEADLINES, href="https://shop.example/p/{i}"),
        # a table of contents: links within the page
        TOC,
        # two cards: as often the story's own list
        _cards(CARD_HEADLINES[:2], under=CARD_SUBLINE),
    ],
    ids=["listicle", "shop-links", "table-of-contents", "two-cards"],
)
def test_lists_of_linked_headings_that_are_content_stay(listing: str) -> None:
    page = article_page([STORY[0], STORY[1]], extra=f"{listing}<p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert CARD_HEADLINES[0] in ex.text
    assert CARD_HEADLINES[1] in ex.text
    assert "teaser_cards" not in ex.removed


# --- the deck ----------------------------------------------------------------------------

DECK = "The singer returns to the village where she learned to play, two years after her last tour"


def _page_with_deck(deck_markup: str) -> bytes:
    """A story page whose description is :data:`DECK`, with ``deck_markup`` in its header
    (before the story's paragraphs)."""
    head = f'<meta property="og:description" content="{DECK}">'
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
        f"{head}</head><body><main><article><header><h1>{TITLE}</h1>{deck_markup}</header>"
        f"<div class='body'>{paragraphs}</div></article></main></body></html>"
    ).encode()


def test_the_deck_in_the_header_is_the_description_not_the_text() -> None:
    ex = extract_article(
        _page_with_deck(f"<h2 class='sub'>{DECK}</h2>"), "https://tidings.example/a"
    )
    assert DECK not in ex.text
    assert ex.description == DECK
    assert ex.removed["deck"] == 1
    for sentence in STORY:
        assert sentence in ex.text


def test_a_lede_that_repeats_the_description_stays() -> None:
    # the description is often the story's first paragraph, or a sub-heading within it
    for lede in (f"<p>{DECK}.</p>", f"<h2>{DECK}</h2>"):
        page = article_page(
            [STORY[0]],
            extra=f"{lede}{''.join(f'<p>{p}</p>' for p in STORY[1:])}",
            head=f'<meta property="og:description" content="{DECK}">',
        )
        ex = extract_article(page, "https://tidings.example/a")
        assert DECK in ex.text
        assert "deck" not in ex.removed


# --- a story the page holds twice ------------------------------------------------------

# every story of the test site, one after the other: 13 sentences, over 300 words
LONG_STORY = [sentence for story in STORIES.values() for sentence in story]


def test_a_second_copy_of_the_story_is_removed() -> None:
    # pages that hold the story twice (for two layouts) extract it twice
    cleaned = clean_text("\n".join([*LONG_STORY, "Share this article", *LONG_STORY]))
    assert cleaned.text == "\n".join(LONG_STORY)
    assert cleaned.removed == {"social": 1, "repeated": len(LONG_STORY)}


def test_lines_a_text_repeats_by_nature_stay() -> None:
    # a plan that repeats its meals day after day, and a chorus sung three times
    day = ["Breakfast", "Two eggs, one cup of spinach and a slice of rye toast.", "Lunch"]
    chorus = "Oh the tide comes in and the tide goes out, and the harbour lights stay on."
    text = "\n".join([*day, STORY[0], *day, STORY[1], chorus, STORY[2], chorus, chorus])
    assert clean_text(text).text == text


TAGS = ["Saltmere", "folk festival", "Marlow Finch", "harbour stage"]


def test_a_line_listing_the_pages_tags_without_a_label_is_removed() -> None:
    tag_line = "saltmere, folk festival, Marlow Finch, harbour stage"
    cleaned = clean_text("\n".join([STORY[0], tag_line, STORY[1]]), tags=TAGS)
    assert cleaned.text.splitlines() == STORY[:2]
    assert cleaned.removed == {"taxonomy": 1}
    head = '<meta name="keywords" content="' + ", ".join(TAGS) + '">'
    page = article_page([*STORY, tag_line.replace(", ", " | ")], head=head)
    assert extract_article(page, "https://tidings.example/music/finch").text.splitlines() == STORY


@pytest.mark.parametrize(
    "line",
    [
        "Marlow Finch",  # one tag: a subheading
        "Saltmere, folk festival",  # two names: as often a story's own heading
        "Saltmere, folk festival, Marlow Finch, the ferry",  # a name that is no tag
        "Marlow Finch played the harbour stage at the Saltmere folk festival.",
    ],
)
def test_lines_with_the_pages_tags_in_them_stay(line: str) -> None:
    text = "\n".join([STORY[0], line])
    assert clean_text(text, tags=TAGS).text == text


AUTHOR = "Rae Lindqvist"
BIO = (
    "Rae Lindqvist is a music writer for Tidings. She has covered folk festivals on the "
    "coast for ten years."
)


@pytest.mark.parametrize("bio", [BIO, f"({AUTHOR} has covered folk for Tidings since 2015.)"])
def test_a_note_about_the_pages_author_is_removed(bio: str) -> None:
    cleaned = clean_text("\n".join([STORY[0], STORY[1], bio]), authors=[AUTHOR])
    assert cleaned.text.splitlines() == STORY[:2]
    assert cleaned.removed == {"author_bio": 1}
    head = f'<meta name="author" content="{AUTHOR}">'
    page = article_page([*STORY, bio], head=head)
    assert extract_article(page, "https://tidings.example/music/finch").text.splitlines() == STORY


@pytest.mark.parametrize(
    ("authors", "line"),
    [
        # the author named in the story, not described
        ([AUTHOR], "Rae Lindqvist said the harbour stage had never sounded better."),
        ([AUTHOR], "Marlow Finch is a friend of Rae Lindqvist, who introduced them."),
        ([AUTHOR], "Rae is a regular at the festival."),  # a first name only
        ([AUTHOR], "Rae Lindqvist is a music writer"),  # a label, not a sentence
        # a one-word author is mostly the company the story is about
        (["Tidings"], "Tidings is a fictional publisher of folk news."),
    ],
)
def test_lines_naming_the_author_stay(authors: list[str], line: str) -> None:
    text = "\n".join([STORY[0], line])
    assert clean_text(text, authors=authors).text == text


FAQ_ANSWER = (
    "The harbour stage opens at six, and the last ferry back to the mainland leaves "
    "an hour after the final set, so nobody is stranded on the island overnight."
)


def test_an_faq_in_disclosure_elements_is_kept() -> None:
    # class names such as "expandable" read as page furniture to trafilatura
    faq = (
        "<h2>Your questions answered</h2>"
        "<details class='expandable bg-light' id='faq-hidden-1'>"
        f"<summary>When does the music start?</summary><p>{FAQ_ANSWER}</p></details>"
    )
    menu = (
        "<details class='nav-menu'><summary>Sections</summary><ul><li><a href='/music/'>"
        "Music</a></li><li><a href='/news/'>News</a></li></ul></details>"
    )
    page = article_page(list(STORY), extra=faq + menu)
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert FAQ_ANSWER in ex.text
    assert "Sections" not in ex.text
    assert all(sentence in ex.text for sentence in STORY)


def test_a_table_in_a_webflow_embed_block_is_kept() -> None:
    table = (
        "<div class='w-embed'><div class='responsive-table'><table>"
        "<tr><th>Stage</th><th>Opens</th></tr><tr><td>Harbour stage</td><td>6pm</td></tr>"
        "<tr><td>Chapel stage</td><td>8pm</td></tr></table></div>"
        f"<p>{FAQ_ANSWER}</p></div>"
    )
    player = "<div class='w-embed'><iframe src='https://player.example/1'></iframe></div>"
    page = article_page(list(STORY[:2]), extra=table + player + f"<p>{STORY[2]}</p>")
    # Webflow marks its pages on the root element
    page = page.replace(b'<html lang="en">', b'<html lang="en" data-wf-site="5f1e">', 1)
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert "Chapel stage" in ex.text
    assert FAQ_ANSWER in ex.text
    assert all(sentence in ex.text for sentence in STORY[:3])


def test_the_pages_main_block_of_paragraphs_is_kept_whatever_its_class() -> None:
    # "bard" holds "bar", which trafilatura's discard patterns read as a sidebar or a
    # toolbar; a real sidebar with a shorter paragraph, and a block that holds less of
    # the page's paragraph text, keep their names and stay discarded
    story = "".join(f"<p>{p}</p>" for p in STORY)
    sidebar = f"<div class='sidebar'><p>{FAQ_ANSWER}</p></div>"
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Marlow Finch to headline Saltmere Folk Festival</title></head><body>"
        "<main><article><h1>Marlow Finch to headline Saltmere Folk Festival</h1>"
        f"<div class='space-y bard'>{story}</div>{sidebar}</article></main></body></html>"
    ).encode()
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert all(sentence in ex.text for sentence in STORY)
    assert FAQ_ANSWER not in ex.text


def test_trafilaturas_discard_tests_are_read_on_one_element() -> None:
    # written from trafilatura's XPaths, which search below the element they run on
    # (archive/discards.py; tests/test_discards.py holds them to the XPaths)
    page = fromstring("<div class='wrap'><div class='sidebar'><p>Links</p></div></div>")
    sidebar = page[0]
    assert discarded_by_name(sidebar)
    assert not discarded_by_name(page)


def test_paragraphs_in_a_block_named_embed_are_kept() -> None:
    # a listing built as an "embed" (trafilatura discards the name on any page); a video
    # embed with only its player is left alone
    listing = f"<div class='profile embed'><h3>Harbour stage</h3><p>{FAQ_ANSWER}</p></div>"
    player = "<div class='embed'><iframe src='https://player.example/1'></iframe></div>"
    page = article_page(list(STORY[:2]), extra=listing + player + f"<p>{STORY[2]}</p>")
    ex = extract_article(page, "https://tidings.example/music/finch")
    assert FAQ_ANSWER in ex.text
    assert all(sentence in ex.text for sentence in STORY[:3])


def test_the_pages_h1_opening_the_text_is_the_headline_when_the_title_differs() -> None:
    # the markup's title is a shorter wording; the page shows a longer headline in its <h1>
    shown = "Marlow Finch quits Harbour Lane after 22 years as the band plays on"
    closing = f"{STORY[-1]} {shown}"  # the same words inside a story line stay
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Finch leaves Harbour Lane | Tidings</title>"
        '<meta property="og:title" content="Finch leaves Harbour Lane"></head><body>'
        f"<main><article><h1>{shown}</h1>"
        + "".join(f"<p>{p}</p>" for p in [*STORY[:-1], closing])
        + "</article></main></body></html>"
    ).encode()
    article = extract_article(body, "https://tidings.example/music/finch/")
    lines = article.text.splitlines()
    assert shown not in lines
    assert lines[0] == STORY[0]
    assert lines[-1] == closing
    assert article.removed.get("headline") == 1


# prune_tree's candidates of each step, found in Python, and the XPaths they stand for
_CANDIDATE_XPATHS = {
    "_heading_candidates": "//h2|//h3|//h4|//h5|//h6|//p[strong or b]|//div[not(*)]"
    "|//strong[not(*)]|//header[not(*)]",
    "_link_block_candidates": "//p[not(parent::li)]",
    "_social_embeds": '//blockquote[contains(@class,"twitter-tweet") or contains(@class,'
    '"twitter-video") or contains(@class,"instagram-media") or contains(@class,"tiktok-embed")'
    ' or contains(@class,"bluesky-embed") or contains(@class,"threads-post")]',
    "_styled": "//*[@style]",
}
_CANDIDATE_LOOK_ALIKES = (
    "<html style='color: red'><body>"
    "<div>You Might Also Like<!-- a comment is not a child element --></div>"
    "<div><span>a child element</span></div><div></div><header><?pi x?></header>"
    "<strong>Trending</strong><strong><em>x</em></strong><h2>a</h2><h5>b</h5><h1>c</h1>"
    "<p><b>bold</b> words</p><p><strong>strong</strong></p><p><i>italic</i></p><p>plain</p>"
    "<ul><li><p>in an item</p></li></ul><div><p style=''>styled, empty</p></div>"
    "<blockquote class='twitter-tweet'>t</blockquote><blockquote class='x tiktok-embedded'>"
    "k</blockquote><blockquote class='tweet'>n</blockquote><blockquote>q</blockquote>"
    "<div class='twitter-tweet'>not a quote</div><!-- style='x' --></body></html>"
)


@pytest.mark.parametrize("finder", sorted(_CANDIDATE_XPATHS))
def test_prune_tree_finds_the_candidates_its_xpaths_would(finder: str) -> None:
    """Each step's candidates, found in one pass in Python (0.5 ms a page less than the
    XPaths), are the XPath's, in document order: on look-alikes of each test and on the
    extraction fixture pages."""
    from lxml.etree import XPath

    import archive.clean

    find = getattr(archive.clean, finder)
    xpath = XPath(_CANDIDATE_XPATHS[finder])
    look_alikes = fromstring(_CANDIDATE_LOOK_ALIKES)
    assert find(look_alikes) == xpath(look_alikes)
    assert 0 < len(xpath(look_alikes)) < sum(1 for _ in look_alikes.iter()) - 2
    samples = sorted((Path(__file__).parent / "extraction_sample").glob("*.html"))
    assert samples
    for sample in samples:
        page = parse_page(sample.read_bytes(), None)  # as extraction parses it: the root
        assert page is not None
        assert find(page.tree) == xpath(page.tree)
