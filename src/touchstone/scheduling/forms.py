"""Calendar forms: book (once or weekly) and move. A date and a time, read as the clinic's wall
clock; the rules themselves are the actions' (``scheduling.rules``), whose errors the views put
next to these fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.models import Client
from touchstone.scheduling.models import Room, Service
from touchstone.scheduling.slots import bookable_staff


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _When(forms.Form):
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label="Start", widget=forms.TimeInput(attrs={"type": "time", "step": 300})
    )
    override_reason = forms.CharField(
        label="Book outside hours because",
        required=False,
        max_length=200,
        help_text="Only when the time is outside the staff member's hours.",
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        staff_ids = [m.pk for m in bookable_staff(clinic)]
        self.fields["staff"] = _StaffChoice(
            label="With",
            queryset=StaffMember.objects.filter(pk__in=staff_ids).select_related("user"),
        )
        self.fields["room"] = forms.ModelChoiceField(
            queryset=Room.objects.filter(clinic_id=clinic.pk, is_active=True).select_related(
                "location"
            ),
            required=False,
        )

    def starts_at(self) -> dt.datetime:
        """The chosen date and time as an aware instant in the clinic's time zone."""
        return dt.datetime.combine(
            self.cleaned_data["day"], self.cleaned_data["time"], tzinfo=self.clinic.zone
        )


#: How many clients the booking form's list and the search answer show at most.
CLIENT_OPTIONS = 50


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def client_label(client: Client) -> str:
    born = f" ({client.date_of_birth:%Y-%m-%d})" if client.date_of_birth else ""
    return f"{client.family_name}, {client.given_name}{born}"


def client_options(clinic: Clinic, query: str, chosen: int | None) -> list[tuple[int, str]]:
    """The chosen client first (if any), then up to ``CLIENT_OPTIONS`` active clients whose
    name, e-mail or phone matches every word of ``query`` (all, alphabetically, when the
    query is empty). Two queries at most, whatever the number of clients."""
    clients = Client.objects.filter(clinic_id=clinic.pk).active()
    options: list[tuple[int, str]] = []
    found = clients.search(query.strip()) if query.strip() else clients
    if chosen is not None:
        options += [(c.pk, client_label(c)) for c in clients.filter(pk=chosen)]
        found = found.exclude(pk=chosen)
    ordered = found.order_by("family_name", "given_name", "id")[:CLIENT_OPTIONS]
    return options + [(c.pk, client_label(c)) for c in ordered]


class AppointmentForm(_When):
    field_order = ["client", "service", "staff", "day", "time", "room", "weeks"]
    front_desk_note = forms.CharField(
        label="Note for the front desk",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Practical notes only; nothing clinical.",
    )
    weeks = forms.IntegerField(
        label="Repeat weekly for (weeks)",
        required=False,
        min_value=2,
        max_value=52,
        help_text="Blank: once. Each week can be moved or cancelled on its own later.",
    )

    def __init__(self, *args: Any, clinic: Clinic, client_query: str = "", **kwargs: Any) -> None:
        super().__init__(*args, clinic=clinic, **kwargs)
        clients = Client.objects.filter(clinic_id=clinic.pk).active()
        # Any active client of the clinic validates; the list shows a bounded few (the
        # chosen one and those the search finds), so a clinic of 10,000 clients does not
        # render 10,000 options (client_options; client-picker.js searches as one types).
        self.fields["client"] = forms.ModelChoiceField(queryset=clients)
        chosen = self.data.get("client") if self.is_bound else self.initial.get("client")
        self.fields["client"].widget.choices = [
            ("", "Choose a client"),
            *client_options(clinic, client_query, _int_or_none(chosen)),
        ]
        services = Service.objects.filter(clinic_id=clinic.pk, is_active=True)
        self.fields["service"] = forms.ModelChoiceField(
            queryset=services, error_messages={"required": "Choose a service."}
        )
        if not services.exists():  # a new clinic: say where services come from
            self.fields["service"].help_text = (
                "No services yet: an owner adds them under Clinic settings → Scheduling "
                "settings → Add a service."
            )
            self.fields["service"].error_messages["required"] = (
                "There is no service to book yet: an owner adds one under Clinic settings → "
                "Scheduling settings → Add a service."
            )
        self.order_fields(self.field_order)

    def booking(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "client": data["client"],
            "staff": data["staff"],
            "service": data["service"],
            "room": data["room"],
            "starts_at": self.starts_at(),
            "front_desk_note": data["front_desk_note"],
        }


class MoveForm(_When):
    field_order = ["day", "time", "staff", "room", "override_reason"]

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, clinic=clinic, **kwargs)
        self.order_fields(self.field_order)

    def move(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"starts_at": self.starts_at(), "staff": data["staff"], "room": data["room"]}
