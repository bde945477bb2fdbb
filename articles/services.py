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
from django.db.models.functions import Lower
from django.utils.text import slugify
from taggit.models import ItemBase

from .models import Source, SourceAlias, TopicKeyword, TopicTag, normalize_name

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.json"


def unique_slug(text, *, prefix):
    """A slug for any text: non-Latin names get a stable hash instead."""
    slug = slugify(text)[:180].strip("-")
    return slug or f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def sources_resolve(*, names):
    """Map each credited name to its Source, creating Sources for new names.

    Returns ``(mapping, number of Sources created)``. Aliases match case- and
    punctuation-insensitively. Safe against a concurrent import creating the
    same source: the unique constraints decide and the rows are read back. A
    fixed number of queries for any number of names.
    """
    wanted = {}
    # Of several spellings in one batch, name a new Source by the most
    # "normal" one (not all caps), whatever order they came in.
    for name in sorted(names, key=lambda n: (n.isupper(), n.islower(), n), reverse=True):
        if normalize_name(name):
            wanted[normalize_name(name)] = name
    if not wanted:
        return {}, 0
    found = dict(
        SourceAlias.objects.filter(normalized__in=wanted).values_list("normalized", "source")
    )
    missing = {key: name for key, name in wanted.items() if key not in found}
    created = 0
    if missing:
        slugs = {key: unique_slug(key, prefix="source") for key in missing}
        known_slugs = set(
            Source.objects.filter(slug__in=slugs.values()).values_list("slug", flat=True)
        )
        Source.objects.bulk_create(
            [Source(name=missing[key], slug=slugs[key]) for key in missing],
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
    by_name = {name: sources[found[normalize_name(name)]] for name in names if normalize_name(name)}
    return by_name, created


@transaction.atomic
def source_merge(*, keep, merge):
    """Fold ``merge`` into ``keep``: its headlines, articles and aliases move, it goes."""
    if keep.pk == merge.pk:
        raise ValueError("A source cannot be merged into itself.")
    merge.aliases.update(source=keep)
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
        known = TopicKeyword.objects.filter(topic=keep).values_list(Lower("keyword"), flat=True)
        merge.keywords.annotate(lower=Lower("keyword")).filter(lower__in=known).delete()
        merge.keywords.update(topic=keep)
    merge.delete()
    return keep


def tags_ensure(*, model, names):
    """Tags of ``model`` by lower-cased name, the missing ones created in bulk.

    Returns ``(mapping, number of tags created)``.
    """
    wanted = {name.strip().lower(): name.strip() for name in names if name and name.strip()}
    if not wanted:
        return {}, 0
    by_lower_name = model.objects.annotate(lower_name=Lower("name"))
    existing = {tag.name.lower(): tag for tag in by_lower_name.filter(lower_name__in=wanted)}
    missing = {key: name for key, name in wanted.items() if key not in existing}
    if not missing:
        return existing, 0
    added = {}
    # A second pass gives a hashed slug to names whose plain slug is taken
    # ("Middle-East" after "Middle East").
    for make_slug in (slugify, lambda name: unique_slug(f"{name}#", prefix="tag")):
        model.objects.bulk_create(
            [
                model(name=name, slug=make_slug(name) or unique_slug(name, prefix="tag"))
                for key, name in missing.items()
                if key not in added
            ],
            ignore_conflicts=True,
        )
        added.update(
            (tag.name.lower(), tag) for tag in by_lower_name.filter(lower_name__in=missing)
        )
        if len(added) == len(missing):
            break
    existing.update(added)
    return existing, len(added)


def tags_attach(*, through, pairs):
    """Add (object id, tag) pairs to a tag through model; existing pairs are kept."""
    through.objects.bulk_create(
        [through(content_object_id=object_id, tag_id=tag.pk) for object_id, tag in pairs],
        ignore_conflicts=True,
    )


@cache
def gazetteer():
    """(compiled pattern, term -> region tag name) from the project's gazetteer file."""
    data = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))
    terms = {term: tag for tag, entry in data.items() for term in [tag, *entry["terms"]]}
    # Longest first so that "South Sudan" wins over "Sudan".
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), terms


def suggest_regions(*texts):
    """Region tag names whose country, demonym or city appears in the texts."""
    pattern, terms = gazetteer()
    return sorted({terms[match] for text in texts if text for match in pattern.findall(text)})


def topic_lexicon():
    """The editable lexicon as (compiled pattern, keyword -> topic name); one query."""
    entries = dict(TopicKeyword.objects.values_list(Lower("keyword"), "topic__name"))
    if not entries:
        return None, {}
    alternatives = "|".join(re.escape(key) for key in sorted(entries, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), entries


def suggest_topics(lexicon, *texts):
    pattern, entries = lexicon
    if pattern is None:
        return []
    found = {entries[match.lower()] for text in texts if text for match in pattern.findall(text)}
    return sorted(found)
