"""Syndication boilerplate removal: in the parsed page before extraction, and on the
extracted text after it.

trafilatura keeps lines that syndicators and templates put into the article body (embed
placeholders, photo credits, newsletter and social prompts, related-links blocks, ad
markers, "originally appeared on" notes). Each known kind is a whole-line pattern below;
a line is dropped only when the whole line is that boilerplate, so a story sentence that
merely mentions a newsletter stays. Lines a site repeats across many of its articles are
learned per site (archive/sitelearn.py) and arrive here as ``site_boilerplate`` keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from archive.discards import discarded_by_name
from archive.prose import is_sentence_line
from archive.settings import (
    BIO_NAME_MIN_WORDS,
    CARD_LIST_MIN_ITEMS,
    CARD_MAX_EXTRA_WORDS,
    REPEATED_RUN_MIN_LINES,
    REPEATED_RUN_MIN_PROSE_WORDS,
    SITE_LINE_KEY_HEX,
    SITE_LINE_MAX_WORDS,
    TAG_LINE_MIN_ITEMS,
)
from archive.text import words
from archive.urls import site_of

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_I = re.IGNORECASE
_SOCIAL = (
    r"(twitter|facebook|instagram|x|tiktok|threads|bluesky|linkedin|youtube|pinterest"
    r"|snapchat|whatsapp|telegram|reddit|mastodon|discord|twitch|google news)"
)
_SHARE_WORD = (
    r"share|tweet|pin|email|e-mail|copy link|print|whatsapp|facebook|twitter|x|linkedin"
    r"|reddit|messenger|flipboard|pinterest|telegram|sms|comment|comments|save"
)
# Headings that open a block of links to other stories, in the languages of the archive's
# sources and of their syndicators.
_RELATED_HEADING = (
    r"you (might|may) (also )?(like|enjoy|be interested in)|we think you('|’)ll like"
    r"|related( articles?| stories| content| coverage| posts?| reading| reads| links| topics"
    r"| videos?| news| blogs?| insights| resources| publications| pages)?"
    r"|more (from|on|in|about) .{1,40}"
    # "More stories", "More business news", "More great Wired stories"
    r"|more ([\w-]+ ){0,2}(stories|news|articles|videos|posts|coverage)( from .{1,40})?"
    r"|other (interesting )?(articles|stories|posts)|keep reading"
    r"|recommended( for you| reading| stories| videos| articles| content| posts)?"
    r"|recommendations|read next|up next|what to read next"
    r"|most (read|popular|viewed|shared|watched)( stories| articles| now| today)?( in .{1,40})?"
    r"|trending( now| stories| articles| today)?( (in|on) .{1,40})?|top stories"
    r"|popular (now|stories|articles|posts)"
    r"|editor('|’)?s? picks?|latest (news|stories|videos|articles)|explore further"
    r"|don('|’)t miss|(read|see) (more|also)|also read|further reading|in other news"
    r"|around the web|from (our|the) partners|sponsored (stories|links|content)"
    r"|leia (tamb[ée]m|mais)|veja (tamb[ée]m|mais)|voc[êe] (pode|tamb[ée]m pode) gostar.*"
    r"|mat[ée]rias relacionadas|not[íi]cias relacionadas|artigos (relacionados|populares)"
    r"|lesen sie (auch|mehr)|mehr zum thema|weitere (beitr[äa]ge|artikel)( zum thema)?"
    r"|das k[öo]nnte sie (auch )?interessieren|(à )?lire aussi|sur le m[êe]me sujet"
    r"|(lee|leer|ver) tambi[ée]n|te puede interesar|art[íi]culos relacionados"
    r"|leggi anche|potrebbe interessarti|articoli correlati"
    r"|читайте также|смотрите также|по теме|関連記事|관련\s?기사|추천\s?기사"
)

# Whole-line patterns, by kind (the kind names the stats and the tests).
LINE_PATTERNS: dict[str, re.Pattern[str]] = {
    "embed_placeholder": re.compile(
        r"^(to view this content,? you('|’)ll need to update your privacy settings.*"
        # its second half, where the page puts it in a paragraph of its own
        r"|please click here to do so\W*"
        r"|this content is (imported|created and maintained) (from|by) .*"
        r"|you may be able to find (the same|more information about this and similar) content.*"
        r"|click here to (view|see) (this|the) (content|post|video|embed).*"
        r"|(view|see) (this|the) post on " + _SOCIAL + r".*"
        r"|a post shared by .*"
        r"|(this|the) (video|embed|content|tweet|post|media) (is|cannot be|can('|’)t be"
        r"|could not be)"
        r" (displayed|loaded|shown|played|available).*"
        r"|your browser does not support (the )?(video|audio|iframe)s?( tag| element)?.*"
        r"|(please )?enable javascript to (view|see|watch|play).*"
        r"|loading (the )?(video|player|content|tweet)\W*"
        r"|(watch|play) (the )?video\.?)$",
        _I,
    ),
    "photo_credit": re.compile(
        r"^(\(?(photo|image|picture|pictured|credit|photograph|foto|bild|illustration)s?"
        r"( credit)?\s*(:|-|–|/)\s*.{1,80}\)?"
        # "Photo by Kit Arden": a name, not a sentence ("Photographs by her brother hang...")
        r"|\(?(photo|image|picture|photograph)s? by "
        r"(?-i:[A-Z][\w'’&/.-]*( [A-Z&][\w'’&/.-]*){0,5})\)?"
        r"|\(?(getty images|shutterstock|alamy|pa images|rex features|afp|ap photo|reuters)"
        r"[^.]{0,40}\)?"
        # a caption ending in its credit: "Varley as Cressida (Photo: Getty Images)"
        r"|.{1,300}[(\[](photo|image|picture|credit|photograph|foto)s?( credit)?\s*(:|by)\s*"
        r"[^)\]]{1,80}[)\]]"
        r"|.{1,300}\b(photo|image|picture) credit:\s*.{1,80}"
        # a caption's sentence and its credit: "The Sony mirrorless system. Photo by: 'A. B'."
        r"|.{1,300}[.!?]\s+(photo|image|picture|photograph|foto)s?( credit)?( by)?\s*:\s*"
        r"[^.!?]{1,60})\.?$",
        _I,
    ),
    "newsletter": re.compile(
        r"^((like|love|enjoy)(d)? this (article|story|post)\??.{0,40}(sign up|subscribe).*"
        # a pitch for a newsletter closing with the call to sign up ("USA TODAY's Watch
        # Party newsletter has ... Sign up now and ...")
        r"|(?=.*\b(newsletters?|inbox)\b).{0,200}[.!?]\s+(sign up|subscribe)\b.{0,120}"
        r"|((please |why not |click here to |you can )?(also )?)sign up (to|for) (our|the|a|his"
        r"|her)"
        r" .{0,60}newsletter.*"
        r"|(subscribe|sign up) (now|today|here|for free)\b.{0,80}"
        r"|(click|tap) here to (subscribe|sign up|register).{0,80}"
        r"|subscribe to (our|the) .{0,80}"
        r"|get (the|our) .{0,60}newsletter.{0,60}"
        r"|get (the|our) (latest|best|top) .{0,80}(straight to|delivered to|sent to"
        r"|sent straight to"
        r"|delivered straight to|in) your inbox.*"
        # "The best of X, delivered to your inbox every morning" (a bill delivered to your
        # inbox in a story sentence has none of the pitch's words)
        r"|(?=.*\b(get|newsletters?|subscrib\w*|sign up|best of|every (morning|day|week)"
        r"|daily|weekly)\b).{0,120}\bdelivered (straight |directly )?to your inbox\b.{0,120}"
        # a magazine's subscription offer: "Get X delivered every month. 12 issues for £11.99."
        r"|(?=.*\b(deliver\w*|subscri\w*|letterbox|doorstep|click here|offer)\b)"
        r".{0,200}\b\d+ issues (for|from) (just |only )?[£$€]\s?\d.{0,120}"
        r"|never miss a (story|thing|beat|post)\W*"
        # the sign-up form's thanks, with what comes next: "Thanks for subscribing! Look
        # out for your first newsletter in your inbox soon!"
        r"|thanks? (you )?for (signing up|subscribing)([.!]+\s.{0,120}"
        r"\b(inbox|newsletters?|e-?mails?)\b.{0,60})?"
        r"|.{0,20}\byou('|’)re (now )?subscribed\W*"
        r"|keep an eye on your inbox.*"
        r"|there was an error processing your subscription\W*"
        r"|by (signing up|subscribing|clicking|entering your e-?mail( address)?)\b.{0,40}"
        r"you agree.*"
        r"|enter your email( address)?.{0,40}"
        r"|.{1,40} newsletters?"
        r"|sign up|sign me up|subscribe|newsletter)\W*$",
        _I,
    ),
    "paywall": re.compile(
        r"^(already (have an account|a (subscriber|member))\?\W*(log ?in|sign ?in)\b.{0,40}"
        r"|(this|the) (article|story|content|post) is (exclusive|only available|available only"
        r"|reserved) (to|for) .{0,40}(subscribers|members)"
        r"|unlock (this|the) (full )?(article|story).{0,120}"
        r"|(subscribe|sign up|register|log ?in|sign in|create a free account) (now )?to"
        r" (continue reading|keep reading|read (the|this) (full|rest|whole|entire)"
        r" (article|story)).{0,80}"
        r"|(to )?(continue|keep) reading,? (subscribe|sign in|log ?in|register).{0,80})\W*$",
        _I,
    ),
    "social": re.compile(
        r"^((.{0,300}[.!?]\s+)?follow .{1,60}? on " + _SOCIAL + r"\b[^.!?]{0,120}[.!?]?"
        # a wire's pointer to its topic page: "Follow AP's full coverage of X at https://..."
        r"|follow .{1,40}? (full|complete|latest|live) coverage of .{1,100}"
        r"|(share|tweet|email|pin|print) (this|on) ?(article|story|post|page|facebook|twitter|x"
        r"|pinterest|whatsapp)?\W*"
        r"|(like|love|enjoy)(d)? this (article|story|post)\? share it.*"
        r"|share (this|the) (article|story|post) with .{1,40}"
        r"|(click here to |)(get|download) the .{1,40} app\b.{0,60}"
        r"|join the (conversation|discussion).{0,60}"
        r"|.{0,200}\b(may|can) be reached at \S+@\S+.{0,120}"
        r"|(have|got) a (news )?tip\?.{0,200}"
        # after a sentence of its own ("X is a production of Y. If you liked this post...")
        r"|(.{0,300}[.!?]\s+)?if you (enjoyed|liked|value) (this|our|my) (blog )?(article|story"
        r"|post|piece|journalism).{0,600}"
        r"|(share (this|the) (article|story|post|page)\s*:?\s*)?(" + _SHARE_WORD + r")"
        r"(\s*[|·•/,]?\s*(" + _SHARE_WORD + r"))*)\W*$",
        _I,
    ),
    "related_heading": re.compile(r"^(" + _RELATED_HEADING + r")\s*[:.…]*$", _I),
    "related_link": re.compile(
        r"^[(\[]?(read more|related( article| story)?|see also|read next|more|also read|read also"
        r"|watch|listen|also on [\w.-]+|leia (tamb[ée]m|mais)|veja tamb[ée]m|leggi anche( su)?"
        r"|lesen sie auch|lire aussi|lee tambi[ée]n|читайте также)\s*[:—–-]\s*.{1,200}$"
        r"|^also on [\w-]+\.[\w.]+\s.{1,200}$",
        _I,
    ),
    # the site's rules for readers' comments, printed under every story
    "comment_policy": re.compile(
        r"^((aten[çc][ãa]o|atenci[óo]n|note|nota|please note|achtung|hinweis|attention)\s*:\s*"
        r".{0,80}\b(comments?|coment[áa]rios?|kommentare?|commentaires?)\b.{0,300}"
        r"|(all )?comments are (moderated|reviewed|subject to (moderation|approval)).{0,200}"
        r"|your comments? (will|may) (not )?be (moderated|reviewed|approved|published)"
        r"( before| after| once)?.{0,200})$",
        _I,
    ),
    # a cookie banner or its settings dialog, left in the page's markup
    "cookie_notice": re.compile(
        r"^((this|our) (web ?site|site|page)s? uses? cookies\b.{0,300}"
        # the site's words, so a bakery's "Any cookies that are left over go to the food
        # bank" stays
        r"|(?=.*\b(websites?|site|browser|browsing|data|track\w*|analytics|consent"
        r"|preferences|visitors?)\b)"
        r"(we use cookies (on|to|and)\b.{0,300}"
        r"|(strictly )?(necessary|essential|functional|performance|analytics?|analytical"
        r"|advertisement|advertising|marketing|targeting|non-necessary|any) cookies (are|that"
        r"|may|help)\b.{0,400})"
        r"|cookies?( (settings|preferences|policy|consent))?"
        r"|(accept|reject|decline|allow|deny)( all)? cookies"
        r"|by (clicking|continuing|using)\b.{0,80}\b(agree|consent)\b.{0,60}\bcookies\b.{0,200})$",
        _I,
    ),
    "originally_appeared": re.compile(
        r"^((this|the) (article|story|piece|post) (was )?(first |originally )(appeared|ran"
        r"|published)"
        r" (on|in|at|by) .{1,100}"
        r"|(this|the) (article|story|piece|post) (was |is )?(first |originally )?(published"
        r"|republished)"
        r" (with permission )?(on|in|at|by|from) .{1,100}"
        r"|(originally|first) (appeared|published) (on|in|at|by) .{1,100}"
        r"|(re)?published with (the )?permission (of|from) .{1,100}"
        r"|the post .{1,200} appeared first on .{1,100})$",
        _I,
    ),
    "ad_marker": re.compile(
        r"^(advertisement|advertising|advert|ad|ads|anzeige|publicidad|publicidade|pubblicit[àa]"
        r"|sponsored( content| post| by .{1,40})?|paid (post|content|partner content).{0,40}"
        r"|(story|article) continues below( this)? (ad|advertisement)|ad feedback"
        r"|continue reading (below|the (main )?story)|advertisement\W+(scroll|continue"
        r"|story).{0,60}"
        # affiliate disclosures: "We may earn a commission from links on this page."
        r"|(?=.*\b(links?|products?|purchases?|buy|retailers?|sales?)\b).{0,200}\b(we|[A-Z][\w.]*)"
        r" may (earn|get|receive) (a )?(small )?(commission|share of (the )?sales?)\b.{0,200}"
        r"|.{0,80}\bcontains affiliate links.{0,160})\W*$",
        _I,
    ),
    "copyright": re.compile(
        r"^((©|ⓒ|\(c\))\s?.{0,100}(\d{4}|all rights reserved).{0,60}"
        # the bare word needs a year and no sentence ("Copyright law changed in 2019.")
        r"|copyright\b[^.]{0,100}\d{4}[^.]{0,60}"
        r"|.{0,100}\ball rights reserved\.?)$",
        _I,
    ),
    "markup_value": re.compile(
        # bare values of hidden metadata markup: an image URL, an ISO timestamp (a bare link
        # to a page can be a story's list of sources, so it stays)
        r"^((https?:)?//\S+\.(jpe?g|png|gif|webp|avif|svg)(\?\S*)?"
        r"|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
        # a WordPress shortcode the feed or page left unrendered: '[button link="..."]Send
        # us your review[/button]', '[gallery ids="4,5,6"]' (it has attributes: "[Update]"
        # and "[1]" are the story's)
        r"|\[(?P<shortcode>[a-z][\w-]*)(\s+[\w-]+=[^\]]*)+\]([^\[]{0,200}\[/(?P=shortcode)\])?)$",
        _I,
    ),
    "ui_label": re.compile(
        r"^(\d+\s)?(comments?|tags?|share|sorry!?|loading( \.\.\.|…|\.\.\.)?|close|menu"
        r"|skip to (main )?content|back to top|view comments|show comments|leave a (comment|reply)"
        r"|post a comment|(add|write) a comment|tell us what you think.{0,20}"
        r"|click to (expand|enlarge)|print this (page|article)"
        # the heading of a table of contents (its entries repeat the section headings)
        r"|table of contents|contents|in this (article|post|guide)|on this page|jump to"
        r"|inhaltsverzeichnis|sommaire|[íi]ndice|sum[áa]rio"
        # a byline's or bio's label left without its name, a button
        r"|written by|about the author|(show|view|load|see) more"
        # a call to action's button: "Try Userpilot Now", "Request a Demo", "Watch Now >"
        r"|(try|start|book|request|download|get started|order|watch)\b[^.!?]{0,25}"
        r"\b(now|today|demo)\s*[>›»→]?"
        # a date's label left without its date (the date is in the page's markup)
        r"|(last )?(updated|published|posted|modified)( on| at)?|editor verified)"
        r"\s*[:.!…]*$",
        _I,
    ),
    "taxonomy": re.compile(
        # the story's tags or categories: a label and a list of short names, no sentence
        r"^((tags?|tagged( with)?|filed under|posted in|categor(y|ies)|topics?|themen"
        r"|schlagw[öo]rter|etiquetas|mots-cl[ée]s|categorias?|marcadores)\s*:\s*"
        # without a colon, a name follows ("Filed under the wrong name" is a sentence)
        r"|(tagged( with)?|filed under|posted in)\s+(?-i:(?![a-z])))"
        r"[^,|•·;.!?]{1,40}([,|•·;]\s*[^,|•·;.!?]{1,40})*[\s,|•·;]*$",
        _I,
    ),
    # a template's dummy text, left where the page's own text was to go
    "placeholder": re.compile(r"^lorem ipsum\b.*$", _I),
    "reading_time": re.compile(
        # alone or after the date or byline it shares a line with, behind a separator
        # ("Jun 8, 2023 • 11 Minute Read"): "The report is a 10 min read." is a sentence
        r"^([^.!?]{0,80}?\s*(•|·|\||/+|–|—|-)\s*)?"
        r"((\d+\s*(-\s*)?)?min(ute)?s?\.? read"
        r"|(estimated )?(reading|read) time"
        r"|tempo de leitura|tempo di lettura|lesezeit|temps de lecture|tiempo de lectura"
        r"|leestijd)"
        r"(\s*:?\s*(\d+|one|two|three|four|five)\s*[^\W\d]{1,10}\.?)?\W*$",
        _I,
    ),
}
# Story paragraphs are long; before the patterns that allow long lines are tried on a
# line longer than this, one of the words the pattern needs must be in it (substring
# tests are far cheaper than the patterns, and story lines are most lines).
GATED_LINE_CHARS = 100
_SIGNALS: dict[str, tuple[str, ...]] = {
    "embed_placeholder": (
        "content", "post", "video", "embed", "tweet", "media", "browser", "javascript",
        "audio", "iframe",
    ),
    "photo_credit": (
        "photo", "image", "picture", "credit", "foto", "bild", "illustration", "getty",
        "shutterstock", "alamy", "pa images", "rex features", "afp", "reuters",
    ),
    "newsletter": ("sign", "subscri", "newsletter", "inbox", "email", "issues"),
    "paywall": ("log", "sign", "subscri", "member", "unlock", "reading", "register"),
    "social": ("follow", "share", "app", "join the", "reached at", "tip?", "if you"),
    "ad_marker": ("commission", "share of", "affiliate", "advert", "sponsored", "paid", "continue"),
    "copyright": ("©", "ⓒ", "(c)", "copyright", "rights reserved"),
    "originally_appeared": ("originally", "first", "publish", "permission"),
    "taxonomy": (
        "tag", "filed", "posted", "categor", "topic", "themen", "schlagw", "etiquet", "mots",
        "marcador",
    ),
    "placeholder": ("lorem",),
    "comment_policy": ("comment", "coment", "kommentar"),
    "cookie_notice": ("cookie",),
    "reading_time": ("read", "leitura", "lettura", "lesezeit", "lecture", "lectura", "leestijd"),
}  # fmt: skip

# A byline or dateline line standing apart from the story ("By Jane Doe", "Published 18
# November 2019"); the name part is case-sensitive so "by the way" sentences never match.
# a month's name or its abbreviation ("June", "Jun.")
_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}"
    rf"|([A-Za-z]+\.?,?\s+)?(\d{{1,2}}(st|nd|rd|th)?\s+)?{_MONTH}"
    r"\s+(\d{1,2}(st|nd|rd|th)?,?\s+)?\d{4})"
)
# A line that is a date and nothing else: the story's dateline, or a teaser's date left
# behind. It names the day ("June 2025" can head a section); a colon after it opens an
# entry ("2025-12-19: fixed the parser").
_BARE_DATE = re.compile(
    r"^((?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"({_MONTH}\s+\d{{1,2}}(st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}[./]\d{1,2}[./]\d{1,2})"
    r"([\s,|•·–-]+((?i:at)\s+)?\d{1,2}[:.]\d{2}(\s*(?i:[ap]\.?m\.?))?)?[^\w:]*$"
    # Portuguese and Spanish: "sexta-feira, 22 de outubro de 2010 às 20:13"
    r"|^([^\W\d_][\w-]*,?\s+)?\d{1,2}º?\s+de\s+[^\W\d_]+\.?\s+(de\s+)?\d{4}"
    r"([\s,]+((?i:às|as|a las|a la|à)\s+)?\d{1,2}[:h]\d{2}h?)?[^\w:]*$"
)
_BYLINE = re.compile(
    # a name line never ends like a sentence: "By Friday, tickets had sold out." stays
    r"^(?i:by|story by|words by|written by|von|par|por)\s+"
    r"[A-Z][\w'’.-]*( [A-Z][\w'’.-]*){0,3}(\s*(,|and|&)\s*[A-Z][\w'’.-]*( [A-Z][\w'’.-]*){0,3})*"
    r"(\s*[|•·–-]\s*.{0,60}|,\s*[A-Z][\w'’ ]{0,40})?(?<![.!?])$"
)
_CREDIT_LINE = re.compile(
    # a name follows: "editing by hand, and ..." continues a story sentence
    r"^((?i:(reporting|writing|editing|additional reporting|compiled|produced) by)"
    r"\s+[A-Z].{0,300}"
    r"|[A-Z].{0,80}(?i: contributed( reporting)? to this (report|story|article))\.?"
    r"|(?i:(published|updated|posted|last updated|first published)( on| at)?:?)\s+"
    + _DATE
    + r"([\s,|•·–-]+(at\s+)?\d{1,2}[:.]\d{2}.{0,20})?"
    # Korean news sites' "article entered / modified" stamp: "기사입력 :[ 2018-08-25 15:24 ]"
    r"|(기사\s?입력|입력|수정|최종\s?수정|등록)\s*:?\s*\[?\s*\d{4}[./-]\d{1,2}[./-]\d{1,2}\.?"
    r"(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*\]?)$"
)

# Lines that are text of the kinds above get these names when found by what they repeat
# (the headline, a line the site prints in many stories) rather than by pattern.
HEADLINE = "headline"
SITE_LEARNED = "site_learned"
# ... and this one when it repeats a run of the text before it
REPEATED = "repeated"

_ORIGIN = re.compile(
    r"(?:originally|first) (?:appeared|ran|published) (?:on|in|at|by) (.+?)\.?$"
    r"|(?:published|republished) (?:with permission )?(?:on|in|at|by|from) (.+?)\.?$"
    r"|permission (?:of|from) (.+?)\.?$"
    r"|appeared first on (.+?)\.?$",
    _I,
)


@dataclass(slots=True)
class Cleaned:
    """Clean text and what was taken out of it."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)
    origin: str | None = None  # "This article originally appeared on X": X
    # keys (line_key) of the lines a site may have learned as boilerplate: every line
    # left after the known patterns, before learned lines are removed
    line_keys: list[str] = field(default_factory=list)


# Keys of lines over SITE_LINE_MAX_WORDS words start with this (not a hex digit), so
# learning holds them to the stricter threshold of long lines (archive/sitelearn.py).
LONG_LINE_KEY_PREFIX = "long-"


def line_key(line: str) -> str:
    """Return the key of one line of text for per-site learning: a short hash of its
    normalised words, so typography and spacing differences do not split a line; the
    key of a line over ``SITE_LINE_MAX_WORDS`` words says it is long.

    :param line: one line of extracted text
    """
    return _key(words(line))


def _key(tokens: Collection[str]) -> str:
    digest = hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:SITE_LINE_KEY_HEX]
    return LONG_LINE_KEY_PREFIX + digest if len(tokens) > SITE_LINE_MAX_WORDS else digest


# Bullets that open a list item's line ("- Advertisement")
_LIST_BULLETS = ("-", "•", "·", "*")
# The kinds in LINE_PATTERNS's order, each with its pattern and the words a long line
# needs to be one: line_kind's loop reads them from one tuple and tests the words in a
# plain loop (an any() over a generator per kind per line cost 10% of its time, which
# was 6.5% of the extraction workers', issue 10's eighth round)
_KINDS_IN_ORDER = tuple(
    (kind, pattern, _SIGNALS.get(kind, ())) for kind, pattern in LINE_PATTERNS.items()
)


def line_kind(line: str) -> str | None:
    """Return the kind of known boilerplate ``line`` is (a key of LINE_PATTERNS, or
    "byline"), or None for a line of the story.

    :param line: one stripped line of extracted text
    """
    # trafilatura writes a list item as "- item": "- 6 min read" is the same label
    while line[:1] in _LIST_BULLETS:  # "- - Sep 26, 2022": nested items too
        line = line[1:].lstrip()
    lowered = line.lower() if len(line) > GATED_LINE_CHARS else None
    for kind, pattern, signals in _KINDS_IN_ORDER:
        if lowered is not None and signals:
            for signal in signals:
                if signal in lowered:
                    break
            else:
                continue  # a long line without the kind's words cannot be that kind
        if pattern.match(line):
            return kind
    if len(line) < 400 and (
        _BYLINE.match(line) or _CREDIT_LINE.match(line) or _BARE_DATE.match(line)
    ):
        return "byline"
    return None


# What separates a headline from the site's name in a page's title ("Story | Site")
_TITLE_SEPARATOR = re.compile(r"\s+[|–—•·-]\s+")


def _headlines(title: str) -> tuple[str, ...]:
    """The headline a page's title may hold: the title, and the title without the site's
    name after or before it ("Meal prep, simply | The Kitchen Blog")."""
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return (title,)
    return (title, title[: separators[-1].start()], title[separators[0].end() :])


def page_headlines(tree: HtmlElement) -> list[str]:
    """The texts of the page's ``<h1>`` elements: the headline as the page shows it, which
    can differ from the title its markup states (a longer or reworded headline, a title
    cut short) and opens the extracted text as often as the title does."""
    return [heading.text_content() for heading in tree.iter("h1")]


# What separates the names of a list of tags written out on one line
_TAG_SEPARATOR = re.compile(r"\s*[,|•·;]\s*")


def _is_tag_list(line: str, tags: Collection[str]) -> bool:
    """Whether ``line`` is the page's own tags written out without a label ("stock car
    brasil, stock car interlagos, stock car velopark"): at least TAG_LINE_MIN_ITEMS
    names, every one of them a tag the page's markup states (``tags`` lowercased)."""
    names = [name for name in _TAG_SEPARATOR.split(line.lower()) if name]
    return len(names) >= TAG_LINE_MIN_ITEMS and all(name in tags for name in names)


# The verbs a note about the author opens with, after the author's name ("Rae Lindqvist
# is a music writer...", "(Rae Lindqvist has covered folk for ten years.)")
_BIO_VERB = (
    r",?\s+(is|was|has|holds|serves|writes|covers|joined|leads|lives|started|founded"
    r"|spent|brings|earned|received|graduated)\b.*[.!?]\)?$"
)
AUTHOR_BIO = "author_bio"


def _author_bio(authors: Collection[str]) -> re.Pattern[str] | None:
    """The pattern of a note about one of the page's authors: the author's full name (a
    one-word name is as often a brand the story is about) and a verb of a biography,
    in one sentence or more."""
    names = [re.escape(name) for name in authors if len(name.split()) >= BIO_NAME_MIN_WORDS]
    if not names:
        return None
    return re.compile(r"^\(?(" + "|".join(names) + r")" + _BIO_VERB)


def clean_text(
    text: str,
    *,
    titles: Collection[str | None] = (),
    tags: Collection[str] = (),
    authors: Collection[str] = (),
    site_boilerplate: Collection[str] | None = None,
) -> Cleaned:
    """Remove syndication boilerplate lines from extracted ``text``.

    :param text: newline-separated paragraphs as trafilatura returns them
    :param titles: the page's headlines (markup and guessed): lines repeating one are
        the headline, which is metadata and not story text
    :param tags: the page's tags (keywords) from its markup: a line listing them and
        nothing else is the tag list without its label
    :param authors: the page's authors from its markup: a line about one of them ("Rae
        Lindqvist is a music writer...") is the author's note, not the story
    :param site_boilerplate: keys (:func:`line_key`) of the lines learned as this site's
        boilerplate (archive/sitelearn.py); None or empty before anything is learned
    :returns: the text without boilerplate, counts per kind, the stated origin and the
        keys of the lines a site can learn from
    """
    title_words = {tuple(w) for t in titles if t for h in _headlines(t) if (w := words(h))}
    tag_names = {name for tag in tags if (name := " ".join(tag.lower().split()))}
    bio = _author_bio(authors)
    kept: list[str] = []
    kept_tokens: list[tuple[str, ...]] = []
    keys: list[str] = []
    removed: dict[str, int] = {}
    origin: str | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        tokens = tuple(words(line))
        if not tokens:  # "-", "•": list bullets trafilatura leaves on their own line
            continue
        # A line is removed for what it is, never for where it is: the lines after a
        # "Read more" or "Recommended:" line are as often the story's own (a resource
        # list, a table, a sub-heading) as links to other stories; those link lists
        # are removed in the page, where their links show (prune_tree).
        kind = line_kind(line)
        if kind is None and not kept and tokens in title_words:
            kind = HEADLINE
        if kind is None and tag_names and _is_tag_list(line, tag_names):
            kind = "taxonomy"
        if kind is None and bio is not None and bio.match(line):
            kind = AUTHOR_BIO
        if kind is None:
            key = _key(tokens)
            keys.append(key)
            if site_boilerplate and key in site_boilerplate:
                kind = SITE_LEARNED
        if kind is None:
            kept.append(line)
            kept_tokens.append(tokens)
            continue
        removed[kind] = removed.get(kind, 0) + 1
        if kind == "originally_appeared" and (match := _ORIGIN.search(line)):
            origin = next(g for g in match.groups() if g).strip()
    if repeated := _repeated_runs(kept, kept_tokens):
        kept = [line for i, line in enumerate(kept) if i not in repeated]
        removed[REPEATED] = len(repeated)
    return Cleaned(text="\n".join(kept), removed=removed, origin=origin, line_keys=keys)


def _repeated_runs(lines: list[str], tokens: list[tuple[str, ...]]) -> set[int]:
    """Indexes of the lines that repeat an earlier run of the text line for line: at least
    REPEATED_RUN_MIN_LINES lines with REPEATED_RUN_MIN_PROSE_WORDS words in sentences
    (a page that holds its story twice, for two layouts). Single repeated lines stay: a
    recipe's ingredients or a table's cells repeat by nature."""
    first: dict[tuple[str, ...], int] = {}
    for index, line_tokens in enumerate(tokens):
        first.setdefault(line_tokens, index)
    repeated: set[int] = set()
    index = 0
    while index < len(lines):
        earlier = first[tokens[index]]
        run = 0
        while (
            index + run < len(lines)
            and earlier + run < index
            and tokens[earlier + run] == tokens[index + run]
        ):
            run += 1
        prose = sum(
            len(tokens[i])
            for i in range(index, index + run)
            if is_sentence_line(lines[i], len(tokens[i]))
        )
        if run >= REPEATED_RUN_MIN_LINES and prose >= REPEATED_RUN_MIN_PROSE_WORDS:
            repeated.update(range(index, index + run))
            index += run
        else:
            index += 1
    return repeated


# A list item whose text is at least this share link text is a link, not a sentence.
LINK_TEXT_SHARE = 0.9
# ... and under a related-links heading, an item with this share of its text in a link is
# a teaser of another story: a magazine links half of each teaser ("YouTubers must
# unionize, <a>no matter what Google says</a>"; extraction benchmark 2f42ef1d +0.025, no
# other page of either set changes; with this share for the lone link blocks and teaser
# blocks too, WCEB lost 0.10 summed)
RELATED_ITEM_MIN_LINK_SHARE = 0.3
_HEADING_PATTERN = LINE_PATTERNS["related_heading"]
# A related-links heading is short ("You Might Also Like", "More from Glossmag")
RELATED_HEADING_MAX_CHARS = 80
# Elements that can hold a related-links heading (a bold paragraph or a bare div count:
# templates style headings without <h*>; the <h1> is the page's headline)
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "strong", "header")
_LEAF_HEADING_TAGS = ("div", "strong", "header")
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "»")
# A line that starts with a day and month ("June 23 –", "23 June:", "6/23 -")
_DATED_ENTRY = re.compile(
    rf"^({_MONTH}\s+\d{{1,2}}(st|nd|rd|th)?|\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}"
    r"|\d{1,2}[./]\d{1,2}([./]\d{2,4})?)\b"
)
# Headings below the page's headline (its <h1>): a teaser card's title, the deck
_SUBHEADINGS = ("h2", "h3", "h4", "h5", "h6")
# A heading whose text is longer or shorter than the description by more than this share
# of it cannot be the description
DECK_LENGTH_SLACK = 0.2
# Embedded social posts (their text is in the page without JavaScript): a <blockquote>
# whose class holds one of these
_SOCIAL_EMBED_CLASSES = (
    "twitter-tweet", "twitter-video", "instagram-media", "tiktok-embed", "bluesky-embed",
    "threads-post",
)  # fmt: skip
# ... and the wrappers around them that hold nothing else ("social-media-embed" divs): a
# news template nests the post three deep, the outer one classed "widget" (extraction
# benchmark 92101975: 0.939 -> 1.000 with 3 levels; 4 or 5 change no page of either set)
EMBED_WRAPPER_LEVELS = 3
# Webflow's embed block, which holds the tables and custom sections of its sites' articles
# (and, on other pages, players and scripts); Webflow marks its pages on the root element
# with this attribute
_WEBFLOW_EMBED = "w-embed"
_WEBFLOW_PAGE_ATTRIBUTE = "data-wf-site"
# ... and a block named "embed" on any page: a directory's listings built as embeds (WCEB
# 0056: the second half of a list of company profiles, F1 0.77 -> 0.98; no other page of
# either set changes); the <div>s are read once for both (0.23 ms a page)
_EMBED = "embed"
# CSS that hides an element from readers
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", _I)
# The page's frames: a page that hides one of these, or a block holding the article's
# frame, until a script shows it hides its article, which stays
_ARTICLE_FRAMES = ("main", "article")
_PAGE_FRAMES = ("html", "body", *_ARTICLE_FRAMES)


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _is_link_list(el: HtmlElement) -> bool:
    """A <ul>/<ol> (or a container of them) whose items are all links, or teasers that
    each link part of their words (:data:`RELATED_ITEM_MIN_LINK_SHARE`), after a
    related-links heading."""
    items = el.xpath(".//li")
    if not items:
        return _is_teaser(el)
    for item in items:
        text = _text(item)
        linked = sum(len(_text(a)) for a in item.xpath(".//a"))
        if not text or linked / len(text) < RELATED_ITEM_MIN_LINK_SHARE:
            return False
    return True


def _is_teaser(el: HtmlElement) -> bool:
    """An <article> teaser of another story, or a block that is nothing but links."""
    if el.tag == "article":
        return True
    text = _text(el)
    if not text:
        return False
    linked = sum(len(_text(a)) for a in el.xpath(".//a"))
    return linked / len(text) >= LINK_TEXT_SHARE


def _rest_is_links(block: HtmlElement, heading: str) -> bool:
    """Whether ``block`` holds nothing but the heading text and links after it."""
    rest = _text(block).removeprefix(heading).strip(" :–-|")
    if not rest:
        return True
    linked = sum(len(_text(a)) for a in block.iter("a"))
    return linked / len(rest) >= LINK_TEXT_SHARE


def _is_link_block(el: HtmlElement) -> bool:
    """A paragraph, heading or list item that is nothing but a link to another page and
    not a sentence: a recirculation headline ("LAUREN ALAINA SAYS 'DWTS' HAS HELPED HER"),
    a "[Video]" teaser, a call to action. A bare URL stays: it is a cited source; so does
    a dated entry ("June 23 – Jiffy Lube Live, Bristow, VA" linking to its tickets): a
    line of a tour or event list."""
    if next(el.iter("a"), None) is None:  # most paragraphs: no link at all
        return False
    text = _text(el)
    if not text or text.endswith(_SENTENCE_END) or text.startswith(("http", "www.")):
        return False
    if _DATED_ENTRY.match(text):
        return False
    links = [a for a in el.iter("a") if (a.get("href") or "#")[0] != "#"]
    if not links or any(a.get("href", "").startswith("javascript:") for a in links):
        return False
    linked = sum(len(_text(a)) for a in links)
    return linked / len(text) >= LINK_TEXT_SHARE


def _is_same_site(href: str, site: str) -> bool:
    """Whether a link goes to the page's own site (a relative link, the same host, or a
    subdomain of it either way); ``site`` is empty when the page's URL is unknown."""
    netloc = urlsplit(href).netloc
    if not netloc:
        return True
    host = netloc.lower().removeprefix("www.")
    return bool(site) and (host == site or host.endswith("." + site) or site.endswith("." + host))


def _is_card(item: HtmlElement, site: str) -> bool:
    """A list item that is a teaser card of another story of the site: its (first)
    heading's whole text is one link to the site, and it has little text besides."""
    heading = next(item.iter(*_SUBHEADINGS), None)
    if heading is None:
        return False
    links = [a for a in heading.iter("a") if (a.get("href") or "#")[0] != "#"]
    if len(links) != 1 or not _is_same_site(links[0].get("href", ""), site):
        return False
    text = _text(heading)
    if not text or _text(links[0]) != text:
        return False
    return len(words(_text(item))) - len(words(text)) <= CARD_MAX_EXTRA_WORDS


def _card_lists(tree: HtmlElement) -> list[HtmlElement]:
    """The lists that may hold teaser cards, in document order: <ul>/<ol> whose first
    item holds a heading (most lists are menus, passed over without reading their items)
    and the blocks that hold <article> elements; one pass over the tree."""
    found: list[HtmlElement] = []
    blocks: set[HtmlElement] = set()
    for element in tree.iter("ul", "ol", "article"):
        if element.tag == "article":
            block = element.getparent()
            if block is not None and block not in blocks:
                blocks.add(block)
                found.append(block)
        elif (first := element.find("li")) is not None and next(
            first.iter(*_SUBHEADINGS), None
        ) is not None:
            found.append(element)
    return found


def _card_count(listing: HtmlElement, site: str) -> int:
    """The number of items of a <ul>/<ol> (or of <article> children of a block) when they
    are all teaser cards (:func:`_is_card`), or 0."""
    tag = "li" if listing.tag in ("ul", "ol") else "article"
    items = [child for child in listing if child.tag == tag]
    return len(items) if items and all(_is_card(i, site) for i in items) else 0


# The candidates of each of prune_tree's steps, in document order. One pass of lxml's
# iter() by tag with the tests in Python finds the same elements as the XPath in each
# finder's docstring, in 0.59 + 0.20 + 0.18 + 0.43 ms a page where the XPaths took 0.75 +
# 0.32 + 0.29 + 0.53 (1.89 -> 1.40 ms; 415 pages of both extraction sets, fastest of 5
# runs; issue 10's eighth round).


def _heading_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """Where a related-links heading can be: ``//h2|//h3|//h4|//h5|//h6|//p[strong or b]
    |//div[not(*)]|//strong[not(*)]|//header[not(*)]``."""
    found = []
    for element in tree.iter(*_HEADING_TAGS):
        tag = element.tag
        if tag == "p":
            if element.find("strong") is not None or element.find("b") is not None:
                found.append(element)
        elif tag in _LEAF_HEADING_TAGS:
            # not(*): no child element (a comment inside does not count)
            if next(element.iterchildren(etree.Element), None) is None:
                found.append(element)
        else:
            found.append(element)
    return found


def _link_block_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """Blocks that can be a lone recirculation link: ``//p[not(parent::li)]``. Paragraphs
    only: a list item or a sub-heading that is a link is often the story's own (a
    listicle's "1. The Lantern House", a list of nominees or of merged patches), also
    when the item wraps its link in a <p>."""
    return [
        paragraph
        for paragraph in tree.iter("p")
        if (parent := paragraph.getparent()) is None or parent.tag != "li"
    ]


def _social_embeds(tree: HtmlElement) -> list[HtmlElement]:
    """``//blockquote[contains(@class, NAME) or ...]`` for the _SOCIAL_EMBED_CLASSES."""
    return [
        quote
        for quote in tree.iter("blockquote")
        if (names := quote.get("class")) is not None
        and any(name in names for name in _SOCIAL_EMBED_CLASSES)
    ]


def _styled(tree: HtmlElement) -> list[HtmlElement]:
    """``//*[@style]``. Whether the style hides an element is tested after, on each: an
    XPath testing the style's words cost more than the regex on each styled element."""
    return [element for element in tree.iter(etree.Element) if element.get("style") is not None]


def _keep_from_discard(el: HtmlElement) -> None:
    """Drop the class and id of an element trafilatura would discard for their words."""
    for attr in ("class", "id"):
        el.attrib.pop(attr, None)


def _holds_text(el: HtmlElement) -> bool:
    return el.find(".//p") is not None or el.find(".//table") is not None


def _discarded_content(tree: HtmlElement) -> list[HtmlElement]:
    """Containers of the article's own text whose class names trafilatura reads as page
    furniture (its discard patterns match parts of class names: "expand", "hidden",
    "embed", "bar" in "bard"): HTML's disclosure elements (an FAQ's answers, "expandable"
    or "accordion") and embed blocks (Webflow's "w-embed", any page's "embed"), when they
    hold paragraphs or a table (an embed with only a player or a script is left alone),
    and the page's main block of
    paragraphs (:func:`_main_paragraph_block`)."""
    found = [details for details in tree.iter("details") if _holds_text(details)]
    names = {_EMBED, _WEBFLOW_EMBED} if tree.get(_WEBFLOW_PAGE_ATTRIBUTE) else {_EMBED}
    found.extend(
        div
        for div in tree.iter("div")
        if not names.isdisjoint((div.get("class") or "").split()) and _holds_text(div)
    )
    main = _main_paragraph_block(tree)
    if main is not None and main not in found:
        found.append(main)
    return found


def _main_paragraph_block(tree: HtmlElement) -> HtmlElement | None:
    """The element whose own paragraphs hold the most text on the page, when trafilatura
    would discard it for its class or id: that is the article's body by what it holds,
    whatever its names say (WCEB 0113: a body classed "bard", a "bar" to trafilatura,
    F1 0.11 -> 0.81; on both benchmark sets 45 of 567 pages have such a block, 6 change:
    five gain up to 0.031, 0262 loses 0.005). Only that element loses its names; its
    ancestors keep theirs, which tell trafilatura where the article is (dropping theirs
    too lost 1.5 F1 summed over WCEB's pages)."""
    sizes: dict[HtmlElement, int] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            sizes[parent] = sizes.get(parent, 0) + len(paragraph.text_content())
    if not sizes:
        return None
    main = max(sizes, key=sizes.__getitem__)
    if not (main.get("class") or main.get("id")):
        return None
    return main if discarded_by_name(main) else None


def _find_deck(tree: HtmlElement, description: str) -> HtmlElement | None:
    """The page's deck: a heading that repeats the page's description, in a header (its
    parent holds no paragraph) rather than among the story's paragraphs."""
    wanted = words(description)
    if not wanted:
        return None
    slack = DECK_LENGTH_SLACK * len(description)
    for heading in tree.iter(*_SUBHEADINGS):
        raw = heading.text_content()
        # most headings are far shorter or longer than the description: skip them cheaply
        if abs(len(raw.strip()) - len(description)) > slack:
            continue
        parent = heading.getparent()
        if parent is not None and parent.find("p") is None and words(raw) == wanted:
            return heading
    return None


def prune_tree(tree: HtmlElement, url: str = "", description: str | None = None) -> dict[str, int]:
    """Remove related-links blocks and hidden blocks from a parsed page before
    text extraction.

    Text alone cannot tell a list of related headlines from story sentences once the
    heading above them is gone (trafilatura drops headings it deems navigation), so the
    block is removed in the DOM: a heading such as "You Might Also Like" and the links or
    story teasers that follow it, and paragraphs or list items that are a lone link to
    another page rather than a sentence (:func:`_is_link_block`), lists of teaser
    cards of the site's other stories (:func:`_card_count`), and the deck. Blocks an inline
    style hides (``display:none``) are not part of the page a reader sees: hidden microdata
    restates the headline, dates and body for machines, and dialogs and pop-ups wait for a
    script; trafilatura would keep their text (a page's frame, ``<main>`` or ``<article>``,
    hidden until a script shows it stays). Embedded social
    posts lose the class names that make trafilatura discard them: they are quotes; so
    do disclosure elements (an FAQ's answers) and Webflow's embed blocks that hold
    paragraphs or tables, and the page's main block of paragraphs: they are the
    article's own text.

    :param tree: the parsed page, modified in place
    :param url: the page's URL: teaser cards link to the page's own site (a listicle's
        linked headings often go elsewhere); without it only relative links count as
        the site's
    :param description: the page's description (meta or JSON-LD): a heading repeating it
        next to the headline is the deck, which the description keeps
    :returns: counts of removed blocks by kind
    """
    removed: dict[str, int] = {}
    # The deck (standfirst) sums the story up for the page's header; it is the article's
    # description, not its text (the ground truth of both benchmark sets leaves it out),
    # while a lede paragraph repeating the description sits among the story's paragraphs.
    if description and (deck := _find_deck(tree, description)) is not None:
        deck.drop_tree()
        removed["deck"] = 1
    for heading in _heading_candidates(tree):
        # a leaf's text is its .text: far cheaper than text_content() on the many leaves
        raw = heading.text_content() if len(heading) else (heading.text or "")
        if len(raw) > RELATED_HEADING_MAX_CHARS * 2:  # cheap test before normalising
            continue
        text = " ".join(raw.split())
        if len(text) > RELATED_HEADING_MAX_CHARS or not _HEADING_PATTERN.match(text):
            continue
        parent = heading.getparent()
        if parent is None:
            continue
        if heading.tag == "strong" and not _rest_is_links(parent, text):
            continue  # a bold word opening a story sentence ("<b>Trending</b> on TikTok...")
        # the links follow the heading, or the heading's wrapper (<div><h3/></div><ul/>)
        anchor = heading
        while (
            anchor.getnext() is None
            and anchor.getparent() is not None
            and not _text(anchor.getparent()).removeprefix(text).strip()
        ):
            anchor = anchor.getparent()
        following = anchor.getnext()
        while following is not None and _is_link_list(following):
            after = following.getnext()
            following.drop_tree()
            following = after
        if anchor is not heading and anchor.getparent() is not None:
            anchor.drop_tree()
        elif heading.getparent() is not None:
            heading.drop_tree()
        removed["related_heading"] = removed.get("related_heading", 0) + 1
    for block in _link_block_candidates(tree):
        if _is_link_block(block) and block.getparent() is not None:
            block.drop_tree()
            removed["link_block"] = removed.get("link_block", 0) + 1
    # Cards of other stories (thumbnail, linked headline, subline) with no related
    # heading above them: trafilatura keeps them when they sit inside the article's
    # container, and their headlines and sublines read as story lines once extracted.
    site: str | None = None  # the page's site, once a list of cards is a candidate
    grids: set[HtmlElement] = set()  # parents of the card lists removed
    for listing in _card_lists(tree):
        if site is None:
            site = site_of(url) if url else ""
        parent = listing.getparent()
        if parent is None or not (cards := _card_count(listing, site)):
            continue
        # a grid of cards comes in rows of lists: its last row may hold fewer
        if cards < CARD_LIST_MIN_ITEMS and parent not in grids:
            continue
        grids.add(parent)
        listing.drop_tree()
        removed["teaser_cards"] = removed.get("teaser_cards", 0) + 1
    for embed in _social_embeds(tree):
        # trafilatura discards elements whose class names a social network; an embedded
        # post is a quote the story is built on, so it keeps its text as a blockquote
        quoted = _text(embed)
        wrapper: HtmlElement | None = embed
        for _ in range(EMBED_WRAPPER_LEVELS + 1):
            if wrapper is None or _text(wrapper) != quoted:
                break
            _keep_from_discard(wrapper)
            wrapper = wrapper.getparent()
    # the article's own containers that trafilatura would discard for their class names
    # lose those names (as the embedded posts above)
    for container in _discarded_content(tree):
        _keep_from_discard(container)
    for hidden in _styled(tree):
        if not _HIDDEN_STYLE.search(hidden.get("style", "")) or hidden.getparent() is None:
            continue
        if hidden.tag in _PAGE_FRAMES or next(hidden.iter(*_ARTICLE_FRAMES), None) is not None:
            continue
        # microdata restating the page for machines, or a block readers never see
        # unless a script shows it: a dialog ("Republish this article" and its terms),
        # a pop-up, a template
        markup = hidden.get("itemprop") is not None or hidden.get("itemscope") is not None
        kind = "hidden_markup" if markup else "hidden_block"
        hidden.drop_tree()
        removed[kind] = removed.get(kind, 0) + 1
    return removed
