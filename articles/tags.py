"""Tags as editors type them: comma-separated names, spaces inside a name kept.

taggit's own parser splits on spaces when there is no comma ("Middle East"
became the two tags "Middle" and "East"), and writes multi-word names back
in quotes. Most of the region vocabulary is two words, so every tag input
(the article and headline forms, the bulk "Tag or set source" action) reads
names with :func:`tags_parse`; settings make taggit use it and
:func:`tags_join` too (``TAGGIT_TAGS_FROM_STRING`` / ``TAGGIT_STRING_FROM_TAGS``).

The inputs are Django admin's own select2 autocomplete (the machinery of
``autocomplete_fields``), fed by each vocabulary's names view
(``admin:articles_regiontag_names``): existing names are offered as one
types, a new name is typed and ended with a comma or Enter. Without
JavaScript the field still takes one comma-separated line.
"""

from django import forms
from django.contrib.admin.widgets import AutocompleteMixin, get_select2_language
from django.urls import reverse

from .models import tag_key


def tags_parse(text):
    """The tag names in ``text``: split on commas only, sorted, one per folded name.

    Runs of spaces fold to one. Double quotes (taggit's old way of writing a
    multi-word name) are dropped, and a comma between them is part of the name.
    """
    names, current, quoted = [], [], False
    for char in text or "":
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    found = {}
    for name in names:
        name = " ".join(name.split())
        if name:
            found.setdefault(tag_key(name), name)
    return sorted(found.values(), key=tag_key)


def tags_join(tags):
    """Tags (or names) as one line to edit: ``Iraq, Middle East``; quotes only around a comma."""
    names = sorted((getattr(tag, "name", tag) for tag in tags), key=tag_key)
    return ", ".join(f'"{name}"' if "," in name else name for name in names)


class TagNamesWidget(forms.SelectMultiple):
    """Admin's select2 autocomplete over a vocabulary's names, new names allowed."""

    def __init__(self, tag_model, attrs=None):
        super().__init__(attrs)
        self.tag_model = tag_model
        self.i18n_name = get_select2_language()  # what AutocompleteMixin.media reads

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        meta = self.tag_model._meta
        attrs.update(
            {
                "data-ajax--url": reverse(f"admin:{meta.app_label}_{meta.model_name}_names"),
                "data-ajax--cache": "true",
                "data-ajax--delay": 250,
                "data-ajax--type": "GET",
                "data-theme": "admin-autocomplete",
                "data-allow-clear": "false",
                "data-placeholder": f"Type to find or add {meta.verbose_name_plural}",
                "data-tags": "true",  # a name not in the vocabulary yet is a new tag
                "data-token-separators": '[","]',
                "data-width": "min(100%, 36em)",  # room for several names, none past a phone
                "lang": self.i18n_name,
                "class": f"{attrs.get('class', '')} tag-names".strip(),
            }
        )
        return attrs

    @property
    def media(self):
        # Admin's jQuery, select2 and its styles, then our few lines that start it
        # (one list, so that merging with other widgets' media keeps that order).
        admin_select2 = AutocompleteMixin.media.fget(self)
        js = [*admin_select2._js, "admin/newsroom-tags.js"]
        return forms.Media(js=js, css=admin_select2._css)

    def format_value(self, value):
        if isinstance(value, str):
            value = tags_parse(value)
        return sorted((getattr(tag, "name", str(tag)) for tag in value or []), key=tag_key)

    def optgroups(self, name, value, attrs=None):
        # The current names are the only options; select2 asks for the others.
        options = [self.create_option(name, v, v, True, i) for i, v in enumerate(value)]
        return [(None, options, 0)]


class TagNamesField(forms.Field):
    """Names for a TaggableManager: each submitted value read by :func:`tags_parse`."""

    def __init__(self, *, tag_model, **kwargs):
        kwargs.setdefault("widget", TagNamesWidget(tag_model))
        super().__init__(**kwargs)

    def to_python(self, value):
        values = [value] if isinstance(value, str) else value or []
        return tags_parse(",".join(f'"{v}"' if "," in v and len(values) > 1 else v for v in values))

    def has_changed(self, initial, data):
        def keys(values):
            return sorted(tag_key(getattr(v, "name", v)) for v in values or [])

        return keys(initial) != keys(self.to_python(data))
