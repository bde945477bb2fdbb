"""The form renderer: Django's, with its plain ``<input>`` widgets written in Python.

An admin changelist renders three inputs a row (the action checkbox and the
list-editable checkboxes): 300 widget templates a page, each through two
includes, were half of the headline list's time. Those templates are one line
of Django (``django/forms/widgets/input.html`` and ``attrs.html``); this writes
the same bytes, every value escaped by ``format_html``.
tests/test_form_rendering.py holds the output to Django's, and the template
names below to templates that are only that include.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join

# Django's widget templates whose whole text is {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        return super().render(template_name, context, request=request)


def render_input(widget):
    """``input.html`` for a widget's context: type, name, value unless None, then its attrs
    (True as a bare name, False left out, the rest as ``name="value"``)."""
    value = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
    attrs = format_html_join(
        "",
        " {}{}",
        (
            (name, "" if setting is True else format_html('="{}"', str(setting)))
            for name, setting in widget["attrs"].items()
            if setting is not False
        ),
    )
    return format_html(
        '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, attrs
    )
