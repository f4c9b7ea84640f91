"""Dates and times in one format (issue 17 §4): ISO days and a 24-hour clock wherever a page
shows a date without naming a format, and every date or date-time field a browser date
picker (``type="date"`` / ``"datetime-local"``), whose value is always ISO whatever the
browser's locale."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

from django import forms
from django.template import Context, Template
from django.utils import timezone

import touchstone

FORM_MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(touchstone.__path__, "touchstone.")
    if name.endswith("forms") and ".tests" not in name
)


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                found.append(cls)
    return found


def test_every_date_field_is_an_html_date_input():
    wrong = []
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            want = {
                forms.DateField: "date",
                forms.DateTimeField: "datetime-local",
            }.get(type(field))
            input_type = getattr(field.widget, "input_type", None)
            if want and field.widget.attrs.get("type", input_type) != want:
                wrong.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert FORM_MODULES and wrong == []


def test_a_date_shown_without_a_format_is_iso():
    html = Template("{{ day }} · {{ day|date }} · {{ when }} · {{ when|date:'DATETIME_FORMAT' }}")
    when = timezone.make_aware(dt.datetime(2026, 3, 2, 14, 5))
    assert html.render(Context({"day": dt.date(2026, 3, 2), "when": when})) == (
        "2026-03-02 · 2026-03-02 · 2026-03-02 14:05 · 2026-03-02 14:05"
    )


def test_a_date_input_carries_an_iso_value():
    widget = forms.DateInput(attrs={"type": "date"})
    assert 'value="2026-03-02"' in widget.render("day", dt.date(2026, 3, 2))
