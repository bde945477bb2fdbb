"""Services of the base layer: sources and their aliases, tag vocabularies.

Each function is the one writer of what it touches; callers (the ingest
service, the admin) never write these rows themselves.
"""

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import ItemBase

from .models import (
    Article,
    Correction,
    Source,
    SourceAlias,
    SourceSlug,
    TopicKeyword,
    TopicTag,
    fit,
    normalize_name,
    tag_key,
)

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.json"


def unique_slug(text, *, prefix):
    """A slug for any text: non-Latin names get a stable hash instead."""
    slug = slugify(text)[:180].strip("-")
    return slug or f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def sources_resolve(*, names):
    """Map each credited name to its Source, creating Sources for new names.

    Returns ``(mapping, number of Sources created)``. Aliases match case-,
    mark- and punctuation-insensitively in every script (:func:`normalize_name`);
    names longer than the columns are cut to them. Safe against a concurrent
    import creating the same source: the unique constraints decide and the
    rows are read back. A fixed number of queries for any number of names.
    """
    keys = {}  # name as given -> folded alias key
    wanted = {}  # folded alias key -> the spelling a new Source is named by
    # Of several spellings in one batch, name a new Source by the most
    # "normal" one (not all caps), whatever order they came in.
    for name in sorted(names, key=lambda n: (n.isupper(), n.islower(), n), reverse=True):
        spelling = fit(SourceAlias, "name", name.strip())
        key = fit(SourceAlias, "normalized", normalize_name(spelling))
        if key:
            keys[name] = key
            wanted[key] = spelling
    if not wanted:
        return {}, 0
    found = dict(
        SourceAlias.objects.filter(normalized__in=wanted).values_list("normalized", "source")
    )
    missing = {key: name for key, name in wanted.items() if key not in found}
    created = 0
    if missing:
        slugs = {key: fit(Source, "slug", unique_slug(key, prefix="source")) for key in missing}
        known_slugs = set(
            Source.objects.filter(slug__in=slugs.values()).values_list("slug", flat=True)
        )
        Source.objects.bulk_create(
            [Source(name=fit(Source, "name", missing[key]), slug=slugs[key]) for key in missing],
            ignore_conflicts=True,
        )
        by_slug = dict(Source.objects.filter(slug__in=slugs.values()).values_list("slug", "pk"))
        created = len(set(by_slug) - known_slugs)
        SourceAlias.objects.bulk_create(
            [
                SourceAlias(name=missing[key], normalized=key, source_id=by_slug[slugs[key]])
                for key in missing
            ],
            ignore_conflicts=True,
        )
        found.update(
            SourceAlias.objects.filter(normalized__in=missing).values_list("normalized", "source")
        )
    sources = Source.objects.in_bulk(set(found.values()))
    return {name: sources[found[key]] for name, key in keys.items()}, created


@transaction.atomic
def source_merge(*, keep, merge):
    """Fold ``merge`` into ``keep``: its headlines, articles and aliases move, it goes."""
    if keep.pk == merge.pk:
        raise ValueError("A source cannot be merged into itself.")
    merge.aliases.update(source=keep)
    # Its old URL keeps working: /sources/<old slug>/ redirects to the kept one.
    merge.old_slugs.update(source=keep)
    SourceSlug.objects.get_or_create(slug=merge.slug, defaults={"source": keep})
    merge.articles.update(source=keep)
    merge.headlines.update(source=keep)
    if not keep.homepage_url and merge.homepage_url:
        keep.homepage_url = merge.homepage_url
        keep.save(update_fields=["homepage_url"])
    merge.delete()
    return keep


@transaction.atomic
def tag_merge(*, keep, merge):
    """Fold tag ``merge`` into ``keep`` (same vocabulary): every use moves, it goes."""
    if type(keep) is not type(merge) or keep.pk == merge.pk:
        raise ValueError("Only two different tags of one vocabulary can be merged.")
    for relation in keep._meta.related_objects:
        related = relation.related_model
        if issubclass(related, ItemBase):
            tagged_already = related.objects.filter(tag=keep).values("content_object_id")
            related.objects.filter(tag=merge, content_object_id__in=tagged_already).delete()
            related.objects.filter(tag=merge).update(tag=keep)
    if isinstance(keep, TopicTag):
        known = TopicKeyword.objects.filter(topic=keep).values_list("key", flat=True)
        merge.keywords.filter(key__in=known).delete()
        merge.keywords.update(topic=keep)
    merge.delete()
    return keep


def tags_ensure(*, model, names):
    """The tags of ``model`` for these names, the missing ones created in bulk.

    Returns ``(mapping of each name as given -> tag, number of tags created)``.
    Names match by :func:`tag_key` (NFKC + casefold, computed here, never by
    the database's LOWER()), so ``Ürdün`` finds ``ürdün`` on every database;
    names longer than the column are cut to it.
    """
    keys = {}  # name as given -> key
    wanted = {}  # key -> name to create
    for name in names:
        spelling = fit(model, "name", (name or "").strip())
        if spelling:
            keys[name] = fit(model, "key", tag_key(spelling))
            wanted.setdefault(keys[name], spelling)
    if not wanted:
        return {}, 0
    existing = {tag.key: tag for tag in model.objects.filter(key__in=wanted)}
    missing = {key: name for key, name in wanted.items() if key not in existing}
    added = {}
    # A second pass gives a hashed slug to names whose plain slug is taken
    # ("Middle-East" after "Middle East").
    for make_slug in (slugify, lambda name: unique_slug(f"{name}#", prefix="tag")):
        if len(added) == len(missing):
            break
        model.objects.bulk_create(
            [
                model(
                    name=name,
                    key=key,
                    slug=fit(model, "slug", make_slug(name) or unique_slug(name, prefix="tag")),
                )
                for key, name in missing.items()
                if key not in added
            ],
            ignore_conflicts=True,
        )
        added.update((tag.key, tag) for tag in model.objects.filter(key__in=missing))
    existing.update(added)
    return {name: existing[key] for name, key in keys.items() if key in existing}, len(added)


def tags_attach(*, through, pairs):
    """Add (object id, tag) pairs to a tag through model; existing pairs are kept."""
    through.objects.bulk_create(
        [through(content_object_id=object_id, tag_id=tag.pk) for object_id, tag in pairs],
        ignore_conflicts=True,
    )


# Words and single marks: the units phrases are matched on ("U.S." is U . S .).
_TOKEN = re.compile(r"\w+|[^\w\s]")


class PhraseMatcher:
    """Find the longest known phrases in a text, leftmost first, in linear time.

    One alternation regex of a thousand phrases tries each one at every
    position of the text; this walks the text's tokens once and, only where a
    token can start a phrase, looks up the few spans of tokens after it. A
    phrase matches on whole words only, as ``(?<!\\w)phrase(?!\\w)`` would.
    ``fold`` maps a span (and each phrase) to its lookup key: exact by default.
    """

    def __init__(self, phrases, *, fold=None):
        self.fold = fold or (lambda text: text)
        self.phrases = {self.fold(phrase): phrase for phrase in phrases}
        self.firsts = set()
        self.longest = 1
        for phrase in phrases:
            tokens = _TOKEN.findall(phrase)
            if tokens:
                self.firsts.add(self.fold(tokens[0]))
                self.longest = max(self.longest, len(tokens))

    def findall(self, text):
        """The keys of the phrases found in ``text``, in order."""
        spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        found, index = [], 0
        while index < len(spans):
            start = spans[index][0]
            if self.fold(text[start : spans[index][1]]) in self.firsts and not (
                start and _is_word(text[start - 1])
            ):
                last = min(index + self.longest, len(spans)) - 1
                for end_index in range(last, index - 1, -1):
                    end = spans[end_index][1]
                    key = self.fold(text[start:end])
                    if key in self.phrases and not (end < len(text) and _is_word(text[end])):
                        found.append(key)
                        index = end_index
                        break
            index += 1
        return found


def _is_word(char):
    return char.isalnum() or char == "_"


@cache
def gazetteer():
    """(matcher, term -> region tag name) from the project's gazetteer file."""
    data = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))
    terms = {term: tag for tag, entry in data.items() for term in [tag, *entry["terms"]]}
    return PhraseMatcher(terms), terms


def suggest_regions(*texts):
    """Region tag names whose country, demonym or city appears in the texts."""
    matcher, terms = gazetteer()
    return sorted({terms[match] for text in texts if text for match in matcher.findall(text)})


def topic_lexicon():
    """The editable lexicon as (matcher, keyword key -> topic names); one query."""
    entries = {}
    for keyword, topic in TopicKeyword.objects.values_list("keyword", "topic__name"):
        entries.setdefault(tag_key(keyword), set()).add(topic)
    if not entries:
        return None, {}
    return PhraseMatcher(entries, fold=tag_key), entries


def suggest_topics(lexicon, *texts):
    """Topic names whose keywords appear in the texts, matched by :func:`tag_key`."""
    matcher, entries = lexicon
    if matcher is None:
        return []
    found = set()
    for text in texts:
        for key in matcher.findall(text or ""):
            found.update(entries[key])
    return sorted(found)


@transaction.atomic
def article_set_front_lead(*, article, lead=True):
    """Pin ``article`` as the front page's lead (unpinning any other), or unpin it."""
    if lead:
        Article.objects.filter(front_lead=True).exclude(pk=article.pk).update(front_lead=False)
    article.front_lead = lead
    article.save(update_fields=["front_lead", "updated_at"])
    return article


def correction_add(*, article, text, corrected_at=None):
    """Publish a correction note under ``article``: shown on its page and in its JSON-LD."""
    text = (text or "").strip()
    if not text:
        raise ValueError("A correction needs its text.")
    correction = Correction.objects.create(
        article=article, text=text, corrected_at=corrected_at or timezone.now()
    )
    article.save(update_fields=["updated_at"])  # dateModified, and the page cache
    return correction
