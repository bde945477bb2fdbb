"""newsroom/form_rendering.py writes Django's <input> widgets byte for byte, escaped."""

from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from newsroom.form_rendering import INPUT_TEMPLATES, FormRenderer

HOSTILE = '"><script>alert(1)</script>&amp; ‘x’ ٣ — ©'


@pytest.mark.parametrize("template_name", sorted(INPUT_TEMPLATES))
def test_each_template_written_in_python_is_only_the_input_include(template_name):
    source = Path(django.__file__).parent / "forms" / "templates" / template_name
    assert source.read_text().strip() == '{% include "django/forms/widgets/input.html" %}'


WIDGETS = [
    (forms.CheckboxInput(), "visible", True),
    (forms.CheckboxInput(), "visible", False),
    (forms.CheckboxInput({"class": "action-select", "aria-label": HOSTILE}), "_selected", "7"),
    (forms.HiddenInput(), "form-0-id", 12),
    (forms.HiddenInput(), "form-TOTAL_FORMS", None),
    (forms.TextInput({"placeholder": HOSTILE, "required": True, "disabled": False}), "q", HOSTILE),
    (forms.TextInput({"maxlength": 0}), "title", ""),
    (forms.NumberInput({"min": 0, "step": "any"}), "size", 3.5),
    (forms.EmailInput(), "email", "ed@example.com"),
    (forms.URLInput(), "url", "https://example.com/?a=1&b=2"),
    (forms.PasswordInput(render_value=True), "password", 's3cr"et'),
    (forms.DateInput(), "day", "2026-12-04"),
    (forms.DateTimeInput(), "when", "2026-12-04 06:00"),
    (forms.TimeInput(), "at", "06:00"),
    (forms.FileInput(), "upload", None),
    (forms.SearchInput(), "q", "Middle East"),
    (forms.TelInput(), "tel", "+1 555"),
    (forms.ColorInput(), "colour", "#ff0000"),
]


@pytest.mark.parametrize(("widget", "name", "value"), WIDGETS)
def test_inputs_render_as_django_renders_them(widget, name, value):
    attrs = {"id": f"id_{name}"}
    ours = widget.render(name, value, attrs=attrs, renderer=FormRenderer())
    django_own = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
    assert widget.template_name in INPUT_TEMPLATES
    assert ours == django_own
    assert "<script>" not in ours


def test_other_templates_are_django_own():
    widget = forms.Select(choices=[("1", HOSTILE)])
    ours = widget.render("source", "1", renderer=FormRenderer())
    assert ours == widget.render("source", "1", renderer=DjangoTemplates())
    assert "&lt;script&gt;" in ours
