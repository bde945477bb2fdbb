"""The general-capture reading of a dump: any news page as w3m, lynx or a browser copy gives it.

``newsroom/dumps.py`` reads its own sidebar layout first; when that finds
neither an article nor a headline list it calls :func:`parse_capture`. The
reading, in one pass each (linear in the input):

1. Lines are normalised for the renderers' habits: list markers (lynx ``*``,
   ``+`` and right-aligned ``9.``, w3m ``•`` and ``□``) become a flag, form and
   image remains (``(BUTTON)``, ``[IMG]``, ``[photo.jpg]``, ``____``) are removed,
   and lines that a renderer wrapped at its column width are joined again.
2. Each logical line is classified by what it is: prose (long enough, with
   the stop-word density of the page's language — jusText's lists for 100
   languages), list item, furniture (share, cookie, subscription, ...), an
   end-of-article heading ("Related", "Most read", "Comments", ...), a date or
   a byline.
3. The body is the run of lines with the most prose weight, where furniture
   and list items weigh against it (a maximum-sum segment, one pass), so the
   "most read" list or the comments do not win over the article.
4. The title is the best headline line standing before the body: a short
   standalone line, preferred when the page-title line (a browser paste starts
   with it) contains it, when a byline or a date follows it, when lynx prints
   it as a heading; never a caption, a kicker or a navigation line.

No Django import: the parser is tested and fuzzed alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from newsroom.dumps import (
    _LINE_BREAK,
    DroppedLine,
    DumpError,
    ParsedArticle,
    ParsedDump,
    ParsedHeadline,
    ParseWarning,
    collapse,
    strip_cut_mark,
)

# -- text helpers ----------------------------------------------------------------

_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'}
)
# Arabic-Indic and Persian (extended) digits read as numbers.
_DIGITS = str.maketrans(
    {**{chr(0x660 + d): str(d) for d in range(10)}, **{chr(0x6F0 + d): str(d) for d in range(10)}}
)


def capture_limit(captured_at, today):
    """The last day an article's date may be: the capture date, else today (as a date)."""
    limit = captured_at or today or date.today()
    return limit.date() if isinstance(limit, datetime) else limit


def fold(text):
    """A comparison key: NFKC, straight quotes, case folded, spaces collapsed."""
    return collapse(unicodedata.normalize("NFKC", text or "").translate(_QUOTES)).casefold()


# East Asian wide characters (two columns in a terminal): Hangul Jamo, CJK, kana,
# Hangul syllables, compatibility ideographs, full-width forms.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)
_LETTER = re.compile(r"[^\W\d_]")


def display_width(text):
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))


def _cjk_share(text):
    """Share of ideographs and kana among the letters: such text has no spaces between words."""
    if text.isascii():
        return 0.0
    letters = len(_LETTER.findall(text))
    return len(_WIDE.findall(text)) / letters if letters else 0.0


# -- stop words (jusText's lists) and the page's language -------------------------


@cache
def _stopword_index():
    """word -> the jusText languages whose stop-word list has it; loaded once (0.2 s)."""
    import justext  # local: only the capture path needs it

    index = {}
    # get_stoplists() is a frozenset: its order, and so which of two languages with
    # as many hits page_language picks, changed with each process's hash seed.
    for language in sorted(justext.get_stoplists()):
        for word in justext.get_stoplist(language):
            index.setdefault(word, []).append(language)
    return index


# Punctuation around words; splitting at spaces keeps the vowel signs of Indic scripts
# (combining marks, which a regex word class would cut words at).
_WORD_EDGES = "".join(chr(c) for c in range(0x21, 0x40) if not chr(c).isalnum()) + (
    "[]\\^_`{|}~“”‘’«»„‚…—–·•،؛؟।॥、。，！？：；（）「」《》"
)


def words_of(text):
    """The words of a line, case folded: no numbers, no punctuation."""
    words = []
    for token in text.casefold().split():
        word = token.strip(_WORD_EDGES)
        if word and not word[0].isdigit():
            words.append(word)
    return words


def page_language(units):
    """The jusText language whose stop words the page's longer lines use most, or None."""
    index = _stopword_index()
    hits = {}
    for unit in units:
        if len(unit.text) < 60 or sum(unit.text.count(mark) for mark in "{}=;<>") > 3:
            continue  # short, or script code
        for word in unit.words:
            for language in index.get(word, ()):
                hits[language] = hits.get(language, 0) + 1
    if not hits:
        return None
    return max(hits, key=hits.get)


# -- dates -----------------------------------------------------------------------

_MONTH_LOCALES = (
    "en es fr de pt it nl ca gl ro pl cs sk sl hr sr bs hu fi et lv lt sv da nb "
    "is tr id ms ru uk be bg mk el ar ar_TN ar_LB fa he"
).split()


@cache
def month_names():
    """Month names and abbreviations, folded, in many languages (from Babel's CLDR data)."""
    from babel.dates import get_month_names

    names = {}
    for locale in _MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                try:
                    found = get_month_names(width, context, locale)
                except (ValueError, LookupError):
                    continue
                for number, name in found.items():
                    key = fold(name).strip(".")
                    if len(key) >= 3 and not key.isdigit():
                        names.setdefault(key, number)
    names.setdefault("sept", 9)
    return names


_W = r"([^\W\d_]{3,12})\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:er|º|\.)?\s+(?:de\s+)?{_W},?\s+(?:de\s+)?(\d{{4}})\b"
)
_MONTH_DAY_YEAR = re.compile(rf"{_W}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_ISO = re.compile(r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_CLOCK = re.compile(r"^[\s,|·•T-]{0,4}(?:[^\W\d_]{1,5}\.?\s+)?(\d{1,2})[:h.](\d{2})(?!\d)")
_CLOCK_ANY = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})(?![\d:])")
_AGO = re.compile(r"\b(\d{1,3}|an?|one)\s+(min(?:ute)?s?|hours?|hrs?|days?)\s+ago\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\byesterday\b", re.IGNORECASE)


def _make_date(year, month, day):
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _with_clock(day, rest):
    match = _CLOCK.match(rest)
    if day and match and int(match[1]) < 24 and int(match[2]) < 60:
        return datetime(day.year, day.month, day.day, int(match[1]), int(match[2])), match
    return day, None


def find_date(text, limit):
    """(the first full date in ``text`` not after ``limit`` — a date or datetime —, its span).

    Forms: "19 November 2019", "19 de noviembre de 2019", "November 19, 2019",
    "2019-11-19", "19.11.2019", "2019年11月19日", each with an optional
    following "21:10"; "2 hours ago" and "yesterday" count from ``limit``.
    """
    text = text.translate(_DIGITS)
    if not any(char.isdigit() for char in text):
        return None, None
    months = month_names()
    found = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        month = months.get(match[2].casefold())
        if month:
            found.append((match, _make_date(match[3], month, match[1])))
    for match in _MONTH_DAY_YEAR.finditer(text):
        month = months.get(match[1].casefold())
        if month:
            found.append((match, _make_date(match[3], month, match[2])))
    for match in _ISO.finditer(text):
        found.append((match, _make_date(match[1], match[2], match[3])))
    for match in _CJK_DATE.finditer(text):
        found.append((match, _make_date(match[1], match[2], match[3])))
    for match in _NUMERIC.finditer(text):
        first, second = int(match[1]), int(match[2])
        day, month = (second, first) if second > 12 >= first else (first, second)
        found.append((match, _make_date(match[3], month, day)))
    best = None
    for match, day in found:
        if day is None or day > limit or day.year < 1990:
            continue
        if best is None or match.start() < best[0].start():
            best = (match, day)
    if best:
        match, day = best
        value, clock = _with_clock(day, text[match.end() :])
        end = match.end() + (clock.end() if clock else 0)
        return value, (match.start(), end)
    ago = _AGO.search(text)
    if ago:
        amount = 1 if not ago[1].isdigit() else int(ago[1])
        days = amount if ago[2].casefold().startswith("day") else 0
        return limit - timedelta(days=days), ago.span()
    yesterday = _YESTERDAY.search(text)
    if yesterday:
        return limit - timedelta(days=1), yesterday.span()
    return None, None


def iso_date(text):
    """A date or datetime from ISO text ("2020-01-20", "2020-01-20T10:00:00"), or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if len(text) <= 10:
        return value.date()
    return value.replace(tzinfo=None, microsecond=0)


# -- lines -----------------------------------------------------------------------

# List markers: lynx "*", "+", "o", "#" and right-aligned "9."; w3m "•", "□", "◦".
_BULLET = re.compile(r"(?:[*+•◦□▪■●○·‣►▶]|\d{1,3}[.)])\s+")
_LYNX_DEEP_BULLET = re.compile(r"[o#@]\s+")
# Form and image remains of the renderers.
_REMAINS = re.compile(
    r"\((?:BUTTON|RADIO|CHECKBOX|submit|reset)\)|\[(?:IMG|INLINE|LINK|X|_| )\]|_{3,}"
    r"|\[\s{2,}\]|^\[[^\]\s]{1,120}\]|[\u2500-\u257f]{3,}",  # and w3m's box-drawing rules
    re.IGNORECASE,
)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_SENTENCE_END = tuple(".!?。！？؟।…\"'”»)")


@dataclass
class Unit:
    """One logical line: a paragraph, heading, list item or scrap of furniture."""

    line: int  # 1-based input line where it starts
    text: str
    indent: int
    bullet: bool
    after_image: bool  # an image/form remains line stands right above it
    blank_before: bool
    blank_after: bool = False
    words: tuple = ()
    kind: str = ""  # prose, short, item, furniture, stop, date, byline, url, other
    weight: float = 0.0
    density: float = 0.0  # share of the language's stop words among its words

    cjk: bool = False  # mostly ideographs or kana: set with ``words``


def _strip_line(raw):
    """(indent, bullet, text, had_remains) of one raw line."""
    expanded = raw.replace("\u00a0", " ").replace("\t", "    ")
    body = expanded.lstrip()
    indent = len(expanded) - len(body)
    bullet = False
    match = _BULLET.match(body)
    if match:
        bullet, body = True, body[match.end() :]
    elif indent >= 6 and _LYNX_DEEP_BULLET.match(body):
        bullet, body = True, body[2:]
    cleaned = _REMAINS.sub(" ", body)
    return indent, bullet, collapse(cleaned), cleaned.strip() != body.strip()


def _wrap_width(raws):
    """The column width a renderer wrapped the text at, or None for unwrapped text."""
    widths = [display_width(raw.rstrip()) for raw in raws]
    widest = max(widths, default=0)
    if widest < 40 or widest > 300:
        return None
    near = sum(1 for width in widths if width >= widest - 12)
    return widest if near >= 3 else None


_TABLE_GAP = re.compile(r" {8,}")


def read_units(text):
    """The logical lines of a capture, wrapped lines joined again (one pass)."""
    raws = _LINE_BREAK.split(text)
    width = _wrap_width(raws)
    units = []
    previous = None  # (unit, raw display width) of the last line read, None after a blank
    image_above = False
    blank = True
    for number, raw in enumerate(raws, start=1):
        indent, bullet, body, remains = _strip_line(raw)
        if not body:
            if remains:
                image_above = True
            else:
                blank = True
                if units:
                    units[-1].blank_after = True
            previous = None
            continue
        if previous and width and not bullet and not remains:
            unit, raw_width = previous
            first_word = body.split(" ", 1)[0]
            same_column = indent == unit.indent + (2 if unit.bullet else 0) or indent == unit.indent
            if same_column and raw_width + 1 + display_width(first_word) > width - 3:
                unit.text = f"{unit.text} {body}"
                previous = (unit, display_width(raw.rstrip()))
                continue
        cells = _TABLE_GAP.split(raw.strip()) if "        " in raw.strip() else ()
        if len(cells) > 1:  # w3m's table layout: side-by-side cells are separate lines
            for cell in cells:
                _, cell_bullet, cell_body, _ = _strip_line(cell)
                if cell_body:
                    units.append(Unit(number, cell_body, indent, cell_bullet, image_above, blank))
            previous = None
        else:
            unit = Unit(number, body, indent, bullet, image_above, blank)
            units.append(unit)
            previous = (unit, display_width(raw.rstrip()))
        image_above = False
        blank = False
    return units


# -- what each line is -------------------------------------------------------------

# Headings after which the article is over: related and most-read lists, comments.
_STOP_HEADINGS = tuple(
    fold(phrase)
    for phrase in (
        "related",
        "read more",
        "read also",
        "more from",
        "more on this",
        "more stories",
        "keep reading",
        "weiterlesen",
        "mehr über",
        "mehr zum",
        "about the author",
        "über den autor",
        "sobre el autor",
        "sobre o autor",
        "à propos de l'auteur",
        "more news",
        "most read",
        "most popular",
        "most viewed",
        "most shared",
        "trending",
        "recommended",
        "you may also like",
        "you might also like",
        "comments",
        "leave a comment",
        "top stories",
        "latest news",
        "also read",
        "see also",
        "further reading",
        "more in",
        "editor's picks",
        "popular",
        "what to read next",
        "sponsored",
        "lea también",
        "leer más",
        "noticias relacionadas",
        "relacionad",
        "más leíd",
        "lo más visto",
        "comentarios",
        "te puede interesar",
        "lire aussi",
        "à lire aussi",
        "sur le même sujet",
        "les plus lus",
        "commentaires",
        "mehr zum thema",
        "meistgelesen",
        "das könnte sie auch interessieren",
        "kommentare",
        "leia também",
        "leia mais",
        "mais lidas",
        "comentários",
        "notícias relacionadas",
        "leggi anche",
        "più letti",
        "commenti",
        "czytaj także",
        "czytaj też",
        "читайте также",
        "комментарии",
        "популярное",
        "похожие новости",
        "lasiet arī",
        "اقرأ أيضا",
        "أخبار ذات صلة",
        "الأكثر قراءة",
        "相关新闻",
        "相关阅读",
        "热门",
        "推荐阅读",
        "関連記事",
        "関連ニュース",
    )
)
# Words of a short heading over a list of other pieces: "More Great Stories", "Top Articles".
_LIST_HEADINGS = tuple(
    fold(word) for word in ("stories", "articles", "artikel", "artículos", "artigos", "articoli")
)
# Furniture words: a short line with one of them is page furniture.
_FURNITURE = tuple(
    fold(phrase)
    for phrase in (
        "share",
        "subscribe",
        "newsletter",
        "sign up",
        "sign in",
        "log in",
        "login",
        "register",
        "advertisement",
        "advertising",
        "follow us",
        "follow on",
        "email the",
        "click here",
        "privacy",
        "terms of",
        "skip to",
        "aller au contenu",
        "passer au contenu",
        "saltar al contenido",
        "ir al contenido",
        "zum inhalt",
        "pular para",
        "vai al contenuto",
        "перейти к",
        "تجاوز إلى",
        "跳到",
        "by email",
        "by e-mail",
        "por mail",
        "por e-mail",
        "por email",
        "par e-mail",
        "per e-mail",
        "accept",
        "menu",
        "search",
        "image caption",
        "media caption",
        "image copyright",
        "getty images",
        "download",
        "app store",
        "google play",
        "podcast",
        "watch:",
        "video:",
        "suscríbe",
        "publicidad",
        "compartir",
        "abonne",
        "publicité",
        "partager",
        "werbung",
        "anzeige",
        "abonnieren",
        "teilen",
        "assine",
        "publicidade",
        "compartilh",
        "iscriviti",
        "pubblicità",
        "condividi",
        "udostępnij",
        "reklama",
        "подпис",
        "реклама",
        "поделиться",
        "إعلان",
        "شارك",
        "اشترك",
        "广告",
        "分享",
        "订阅",
        "広告",
        "シェア",
    )
)
# Anywhere in a line of any length: cookie banners and notices are long prose.
_NOTICE = tuple(
    fold(phrase)
    for phrase in ("cookie", "javascript", "all rights reserved", "©", "ad blocker", "adblock")
)
# Where a paywall or a "continue reading" link cuts the article.
_PAYWALL = tuple(
    fold(phrase)
    for phrase in (
        "continue reading",
        "keep reading",
        "read the full",
        "to read the rest",
        "subscribe to continue",
        "subscribe to read",
        "already a subscriber",
        "subscribers only",
        "for subscribers",
        "réservé aux abonnés",
        "la suite est réservée",
        "exclusivo para suscriptores",
        "sigue leyendo",
        "seguir leyendo",
        "exclusivo para assinantes",
        "continue lendo",
        "nur für abonnenten",
        "weiterlesen",
        "riservato agli abbonati",
        "продолжение доступно",
        "читать далее",
        "لقراءة المزيد",
        "阅读全文",
        "続きを読む",
    )
)
_BYLINE = re.compile(
    r"^(?:(?:written|reported|words|text|story)\s+by|by|por|par|von|di|door|av|af|przez|"
    r"autor\w*|auteur\w*|author\w*|автор|от|від|بقلم|كتب(?:ت|ه)?|文|記者|记者)\s*[:：]?\s+(.+)$",
    re.IGNORECASE,
)


@cache
def _phrase_pattern(phrases):
    """One regex for a tuple of phrases: searched in C, not phrase by phrase."""
    return re.compile("|".join(re.escape(phrase) for phrase in phrases))


def _starts_with_any(key, phrases):
    return _phrase_pattern(phrases).match(key) is not None


def _contains_any(key, phrases):
    return _phrase_pattern(phrases).search(key) is not None


_BY_INSIDE = re.compile(r"\s(?:by|por|par|von|di|door|przez)\s+(?=[^\W\d_])", re.IGNORECASE)
_NAME_END = re.compile(r"\s+[|•·—–-]\s+|\s*[,(\d]|\s+(?:updated|published|on|el|le|am|il)\s")
_NAME_PARTICLES = frozenset(
    "de da do dos das del la van von der den di du le bin al el y e".split()
)


_HANDLE = re.compile(r"^(.{3,60}?)\s+@\w{2,}")


def byline_name(text):
    """The author's name in a byline line ("By Jill Serjeant, Reuters"), or None.

    The "By" starts the line, or stands inside a short one ("Analysis by Chris
    Cillizza, CNN"); inside, every word of the name must be capitalised, so
    that "Attack by Russia on the port" stays a headline.
    """
    if len(text) > 120:
        return None
    handle = _HANDLE.match(text)
    if handle and len(handle[1].split()) <= 4:
        return handle[1]  # "Catherine Shu @catherineshu / 2 days"
    match = _BYLINE.match(text)
    inside = False
    if match:
        rest = match[1]
    else:
        match = _BY_INSIDE.search(text)
        if not match or len(text) > 80:
            return None
        rest, inside = text[match.end() :], True
    name = _NAME_END.split(rest)[0].strip(" ,;:|")
    words = name.split()
    if not words or len(words) > 8 or not (name[0].isupper() or not name[0].isascii()):
        return None
    if inside and (
        len(words) > 4
        or any(not word[0].isupper() and word not in _NAME_PARTICLES for word in words)
    ):
        return None
    return name


STOP_WEIGHT = 600  # an end-of-article heading weighs this much against the body


def classify(unit, stopwords, limit):
    """Set ``unit.kind`` and ``unit.weight`` (its pull towards being the body)."""
    text = unit.text
    key = fold(text)
    length = len(text) * (3 if unit.cjk else 1)
    unit.weight = -(20 + min(length, 300) / 4)
    if _contains_any(key, _NOTICE):
        unit.kind = "furniture"
        return
    if length <= 60 and _starts_with_any(key.strip(" :#*"), _STOP_HEADINGS) or (
        length <= 40 and _contains_any(key, _LIST_HEADINGS)
    ):
        unit.kind, unit.weight = "stop", -STOP_WEIGHT
        return
    if _URL.match(text):
        unit.kind = "url"
        return
    if byline_name(text):
        unit.kind, unit.weight = "byline", -5
        return
    if length <= 160:
        day, span = find_date(text, limit)
        if day is not None:
            unit.kind, unit.weight = "date", -5  # a dateline: "Updated 19 November 2019, 10:43"
            return
    if length <= 120 and _contains_any(key, _FURNITURE):
        unit.kind = "furniture"
        return
    if unit.cjk:
        sentences = sum(text.count(mark) for mark in "。，、！？；")
        prose = length >= 90 and sentences >= 1
        density = 1.0 if prose else 0.0
    else:
        words = unit.words
        hits = sum(1 for word in words if word in stopwords) if stopwords else 0
        density = hits / len(words) if words else 0.0
        unit.density = density
        if stopwords:
            prose = length >= 70 and len(words) >= 8 and density >= 0.25
        else:  # no list for this language: words and sentence punctuation decide
            prose = len(words) >= 10 and text.endswith(_SENTENCE_END)
    if prose and not unit.cjk and len(words) >= 8:
        capitals = sum(1 for word in text.split() if word[:1].isupper())
        if capitals > 0.6 * len(words):
            prose = False  # "Subscribe Book Shop Travel With Us ...": a menu run together
    if prose and unit.bullet and (length < 150 or not text.endswith(_SENTENCE_END)):
        prose = False  # a link list's entries are no paragraphs
    if prose:
        unit.kind, unit.weight = "prose", min(length, 1500) * (0.6 + density)
        return
    if unit.bullet:
        unit.kind = "item"
        return
    if length >= 20 and text.endswith(_SENTENCE_END) and (density >= 0.2 or unit.cjk):
        unit.kind, unit.weight = "short", 0.0
        return
    unit.kind = "other"


# -- the body, the title, the byline and the date ------------------------------------


def best_segment(units):
    """(start, end) of the run of units with the largest total weight (Kadane, one pass)."""
    best, best_span = 0.0, None
    total, start = 0.0, 0
    for index, unit in enumerate(units):
        if total <= 0:
            total, start = 0.0, index
        total += unit.weight
        if total >= best and total > 0:  # trailing neutral lines join
            best, best_span = total, (start, index + 1)
    return best_span


_OUTLET_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]{1,2}\s+|\s*_\s*")


def title_parts(page_title):
    """The page-title line split at " - " / " | " (the outlet is one of the parts)."""
    return [part for part in _OUTLET_SEPARATORS.split(page_title) if part]


TITLE_LOOKBACK = 60  # units before the body searched for the headline


_CAPTION_WORDS = tuple(
    fold(word)
    for word in (
        "photo",
        "foto",
        "фото",
        "image",
        "getty",
        "afp",
        "reuters/",
        "/ap",
        "efe",
        "caption",
        "صورة",
        "图片",
        "写真",
    )
)


_NEAR_DATELINE = ((1, 2.5), (2, 2.0), (3, 0.5), (4, 0.5), (5, 0.5), (-1, 1.0), (-2, 0.5))


_TRAIL_MARKS = ">»›|/•·"


def _list_like(unit):
    return unit.kind in ("other", "item") and len(unit.text) >= 20


def _dek_like(unit, than):
    """Whether ``unit`` could be the standfirst under a headline ``than`` characters long."""
    return (
        (
            unit.kind in ("prose", "short")
            or unit.text.endswith(_SENTENCE_END)
            or len(unit.text.split()) >= 10
        )
        and not unit.bullet
        and than >= 20
        and len(unit.text) > than * 1.2
    )


def _title_score(units, index, page_key, body_start, heading_indent):
    unit = units[index]
    text = unit.text
    length = len(text) * (2 if unit.cjk else 1)
    if unit.kind not in ("other", "short", "item", "prose") or not (12 <= length <= 250):
        return None
    if unit.kind == "prose" and (
        length > 220 or text.rstrip("\"'”’»」』）)").endswith((".", "。", "…"))
    ):
        return None  # a paragraph, not a headline
    if text.endswith((",", ";", ":", "。")) or len(text.split()) < 2 and not unit.cjk:
        return None
    if unit.cjk and len(_LETTER.findall(text)) < 6:
        return None  # "（1/3ページ）": a page number
    score = -2.5 if unit.bullet or text.startswith(("-", "–", "—")) else 0.0
    if unit.kind == "prose":
        score -= 0.5  # as dense in stop words as a paragraph: more often a caption or a dek
    key = fold(text)
    if page_key and key in page_key:
        score += 3 + 3 * len(key) / len(page_key)
    # A byline or a dateline right under it (or a dateline right above it).
    score += max(
        (
            bonus
            for distance, bonus in _NEAR_DATELINE
            if 0 <= index + distance < len(units)
            and units[index + distance].kind in ("byline", "date")
        ),
        default=0.0,
    )
    if heading_indent is not None and unit.indent == heading_indent and not unit.bullet:
        score += 1.5
    if unit.blank_before and unit.blank_after:
        score += 0.5
    # A headline has its standfirst (a longer line) under it, not above it.
    if index + 1 < len(units) and _dek_like(units[index + 1], len(text)):
        score += 1
    if index >= 1 and _dek_like(unit, len(units[index - 1].text)):
        score -= 1.5
    if unit.after_image or _contains_any(key, _CAPTION_WORDS) or text.startswith("("):
        score -= 2
    if text.endswith("."):
        # A sentence has a paragraph's stop words; "... Cold Wave Alert Tues." has few.
        score -= 2 if unit.density >= 0.3 or length > 120 else 0.3
    elif text.endswith(("।", "۔", "။")):  # full stops of other scripts
        score -= 2
    if 25 <= length <= 160:
        score += 1
    if unit.cjk or len(text.split()) >= 6:
        score += 1
    if not unit.cjk and len(text.split()) < 4:
        score -= 1.5  # a name, a section or a kicker
    if 0 < index < len(units) - 1 and _list_like(units[index - 1]) and _list_like(units[index + 1]):
        score -= 1.5  # one of a run of like lines: a list without markers
    if sum(1 for token in text.split() if not token.strip(_TRAIL_MARKS)) >= 2:
        score -= 3  # "Home > News > 2015 > Headline": a breadcrumb trail
    half = len(key) // 2
    if key[:half].strip() == key[half:].strip():
        score -= 3  # "NameName": a link printed with its image's alt text
    score -= 0.04 * abs(body_start - index)
    return score


def find_title(units, start, page_key, heading_indent):
    """Index of the headline line near ``start`` (the body's first line), or None."""
    best, best_index = None, None
    low = max(0, start - TITLE_LOOKBACK)
    seen = {}
    for index in range(low, min(len(units), start + 1)):
        seen.setdefault(fold(units[index].text), []).append(index)
    for index in range(low, min(len(units), start + 1)):
        if index == 0 and page_key:
            continue  # the page-title line itself: a fallback, below
        score = _title_score(units, index, page_key, start, heading_indent)
        if score is None:
            continue
        near = seen[fold(units[index].text)]
        if any(other != index and abs(other - index) == 1 for other in near):
            score -= 3  # printed twice close together: an image's alt text and its caption
        if best is None or score > best:
            best, best_index = score, index
    return best_index


# -- headlines -------------------------------------------------------------------


def timed_headline(text, number, position, limit):
    """A ParsedHeadline from a list item that carries a time, or None."""
    when, span = find_date(text, limit)
    clock = None
    if when is None:
        clock = _CLOCK_ANY.search(text.translate(_DIGITS))
        if not clock or int(clock[1]) > 23 or int(clock[2]) > 59:
            return None
        span = clock.span()
        when = datetime(limit.year, limit.month, limit.day, int(clock[1]), int(clock[2]))
    title = collapse((text[: span[0]] + " " + text[span[1] :]).strip(" -–—|·•,"))
    if len(title) < 8:
        return None
    published = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
    return ParsedHeadline(
        position=position,
        title=title,
        region_label=None,
        region=None,
        time_label=text[span[0] : span[1]],
        published_at=published,
        summary=None,
        summary_truncated=False,
        credit=None,
        source=None,
        line=number,
    )


def timed_headlines_from_html(tree, limit):
    """Headlines from the page's list items that carry a time."""
    headlines = []
    for item in tree.iter("li"):
        text = collapse(item.text_content())
        if 12 <= len(text) <= 300:
            headline = timed_headline(text, 1, len(headlines) + 1, limit)
            if headline:
                headlines.append(headline)
    return headlines


# -- the whole capture ---------------------------------------------------------------


def _refusal(units, found):
    first = units[0] if units else None
    where = first.line if first else None
    return DumpError(
        "not a page dump: looked for the sidebar layout, an article (a headline line standing "
        f"on its own above prose) and a list of headlines with times; found {found}",
        where,
    )


MIN_BODY_CHARS = 120  # less prose than this is no article

# What a line left out of the article was read as, in the editor's words.
DROPPED_AS = {
    "prose": "prose outside the article",
    "short": "sentence outside the article",
    "item": "list item",
    "furniture": "furniture",
    "stop": "end-of-article heading",
    "date": "date",
    "byline": "byline",
    "url": "link",
    "other": "other",
}


def parse_capture(text, *, captured_at=None, today=None):
    """Read a general capture (text already decoded) into a ParsedDump, ``layout="capture"``."""
    limit = capture_limit(captured_at, today)
    units = read_units(text)
    if not units:
        raise DumpError("empty file")
    for unit in units:
        unit.words = tuple(words_of(unit.text))
        unit.cjk = _cjk_share(unit.text) > 0.5
    language = page_language(units)
    stopwords = frozenset(_stoplist(language)) if language else frozenset()
    for unit in units:
        classify(unit, stopwords, limit)
    warnings = []
    article, segment, used = _article(units, limit, warnings)
    headlines = []
    for index, unit in enumerate(units):
        if unit.bullet and not (segment[0] <= index < segment[1]) and len(unit.text) <= 300:
            headline = timed_headline(unit.text, unit.line, len(headlines) + 1, limit)
            if headline:
                headlines.append(headline)
                used.add(index)
    if article is None and not headlines:
        prose = sum(1 for unit in units if unit.kind == "prose")
        found = (
            f"{prose} paragraph(s) of prose with no headline line above them"
            if prose
            else "no paragraph of prose"
        ) + f" in {len(units)} line(s) of text, and no list item with a time"
        raise _refusal(units, found)
    dropped = [
        DroppedLine(unit.line, unit.text, DROPPED_AS.get(unit.kind, "other"))
        for index, unit in enumerate(units)
        if index not in used
    ]
    return ParsedDump(
        article=article, headlines=headlines, warnings=warnings, layout="capture", dropped=dropped
    )


def better_reading(sidebar, text, *, captured_at=None, today=None):
    """The sidebar reading, unless it has none of the layout's marks and a capture reading
    finds an article.

    The sidebar layout is recognised by a teaser block under the h1 or by time
    lines in its list. A reading with neither is the sidebar rules stretched
    over some other page (a lynx link list taken for the headline list, a site
    name taken for the h1): when the capture reading finds an article there,
    it is the better reading.
    """
    article = sidebar.article
    if any(headline.time_label for headline in sidebar.headlines):
        return sidebar
    if article is not None and (article.dek is not None or article.region_label is not None):
        return sidebar
    try:
        capture = parse_capture(text, captured_at=captured_at, today=today)
    except DumpError:
        return sidebar
    if capture.article is None:
        return sidebar
    if article is not None and fold(article.title) == fold(capture.article.title):
        return sidebar  # both readings agree on the article: the sidebar's rules stand
    return capture


def _stoplist(language):
    import justext

    return justext.get_stoplist(language)


def _weighted_length(unit):
    """Characters, an ideograph counting as three (it carries about a word)."""
    return len(unit.text) * (3 if unit.cjk else 1)


def _in_body(units, index):
    """Whether the unit at ``index`` (inside the body's run) is article text.

    Prose is; so is a short line standing between two paragraphs (a subheading,
    a closing credit), unless it is a list item, furniture or an image's caption.
    """
    unit = units[index]
    if unit.kind in ("prose", "short"):
        return True
    if unit.kind != "other" or unit.bullet or unit.after_image or not (0 < index < len(units) - 1):
        return False
    return units[index - 1].kind == "prose" and units[index + 1].kind == "prose"


def _article(units, limit, warnings):
    segment = best_segment(units)
    if segment is None:
        return None, (0, 0), set()
    start, end = segment
    body = [unit for unit in units[start:end] if unit.kind in ("prose", "short")]
    if sum(len(unit.text) * (3 if unit.cjk else 1) for unit in body) < MIN_BODY_CHARS:
        return None, (0, 0), set()
    first = units[0]
    # A browser paste starts with the page's <title> and a blank line.
    page_key = ""
    if first.blank_after and not first.bullet and len(first.text) >= 15:
        if first.cjk or len(first.text.split()) >= 3:
            page_key = fold(first.text)
    body_indents = {}
    for unit in body:
        body_indents[unit.indent] = body_indents.get(unit.indent, 0) + 1
    body_indent = max(body_indents, key=body_indents.get)
    heading_indent = 0 if body_indent >= 2 else None  # lynx: headings at column 0, text at 3
    # The body proper starts at its first full paragraph; the headline stands before it.
    first_prose = next(
        (
            i
            for i in range(start, end)
            if units[i].kind == "prose" and _weighted_length(units[i]) >= 150
        ),
        next(i for i in range(start, end) if units[i].kind in ("prose", "short")),
    )
    title_index = None
    if page_key:  # a later line that is the page title, or its part without the outlet
        parts = {fold(part) for part in title_parts(first.text) if len(part) >= 12}
        parts.add(page_key)
        anchors = [
            i for i in range(1, min(len(units), first_prose + 1)) if fold(units[i].text) in parts
        ]
        title_index = anchors[-1] if anchors else None
    if title_index is None:
        title_index = find_title(units, first_prose, page_key, heading_indent)
    if title_index is None:
        if not page_key or len(first.text) > 250:
            return None, (0, 0), set()
        parts = title_parts(first.text)
        title = max(parts, key=len) if parts else first.text
        title_line = first.line
        title_index = 0
        warnings.append(ParseWarning(first.line, "title taken from the page-title line"))
    else:
        title = units[title_index].text
        title_line = units[title_index].line
    kept = [index for index in range(max(start, title_index + 1), end) if _in_body(units, index)]
    paragraphs = [units[index].text for index in kept]
    used = {title_index, *kept}
    if page_key:
        used.add(0)  # the page-title line: it found the headline, it is not furniture
    # Byline and date: in the lines between the headline and the body, else just under it.
    byline = published = None
    head_end = min(len(units), max(first_prose, title_index + 1) + 4)
    for index in range(title_index + 1, head_end):
        unit = units[index]
        if byline is None:
            byline = byline_name(unit.text)
            if byline is not None:
                used.add(index)
        if published is None and len(unit.text) <= 200:
            published, _ = find_date(unit.text, limit)
            if published is not None:
                used.add(index)
    if published is None:
        for index in range(max(0, title_index - 4), title_index):
            if units[index].kind == "date":
                published, _ = find_date(units[index].text, limit)
                used.add(index)
    # The standfirst: a sentence right under the headline, standing before the body's run
    # (one inside the run stays a paragraph: pages and readers count it as the body's start).
    dek = None
    after = title_index + 1
    while after < min(start, title_index + 4) and units[after].kind in ("furniture", "url"):
        after += 1
    if after < start and _dek_like(units[after], len(title)) and not units[after].after_image:
        dek = units[after].text
        used.add(after)
    # A paywall or "continue reading" mark right after the body: the text was cut.
    cut = False
    if paragraphs:  # a trailing "…" marks a teaser cut short, as in the sidebar layout
        paragraphs[-1], cut = strip_cut_mark(paragraphs[-1])
        if not paragraphs[-1]:
            paragraphs.pop()
    truncated = cut or any(
        _contains_any(fold(unit.text), _PAYWALL)
        for unit in units[end : end + 4]
        if len(unit.text) <= 200
    )
    warnings.append(ParseWarning(title_line, "general capture: title, body and dates guessed"))
    article = ParsedArticle(
        title=title,
        dek=dek,
        dek_truncated=False,
        region_label=None,
        region=None,
        paragraphs=paragraphs,
        truncated=truncated,
        byline=byline,
        published_at=published,
    )
    return article, segment, used
