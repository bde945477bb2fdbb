"""Accessible names for the Django admin's unlabelled inputs, given server-side.

Django admin renders some inputs with no <label>: the two halves of a date and
time, the list's editable checkboxes and the cells of a tabular inline (their
column heading is not a label). These mixins give each an ``aria-label`` in the
HTML, so the names need no script and hold under the Content-Security-Policy.
"""

from django import forms


def name_widget(widget, label):
    """aria-label on an input (each half of a split date-time), unless it has one."""
    if isinstance(widget, forms.MultiWidget):
        if isinstance(widget, forms.SplitDateTimeWidget):
            parts = [f"{label}: date", f"{label}: time"]
        else:
            parts = [f"{label} ({n})" for n in range(1, len(widget.widgets) + 1)]
        for part, name in zip(widget.widgets, parts, strict=True):
            name_widget(part, name)
    elif not widget.is_hidden:
        widget.attrs.setdefault("aria-label", str(label))


class AccessibleFieldsMixin:
    """For a ModelAdmin or an inline: named date/time halves; named list_editable cells."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, forms.MultiWidget):
            name_widget(formfield.widget, formfield.label)
        return formfield

    def get_changelist_form(self, request, **kwargs):
        form_class = super().get_changelist_form(request, **kwargs)

        class RowNamedForm(form_class):
            """Each row's editable cell says what it is and whose: "Visible: <title>"."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    name_widget(field.widget, f"{field.label}: {self.instance}")

        return RowNamedForm


class AccessibleInlineMixin(AccessibleFieldsMixin):
    """For a tabular inline: every cell (the delete box too) named after its column and row."""

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)

        class RowNamedFormSet(formset_class):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = "new row" if index is None else f"row {index + 1}"
                for field in form.fields.values():
                    name_widget(field.widget, f"{field.label}, {row}")

        return RowNamedFormSet
