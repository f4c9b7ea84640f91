"""What a client sees through a private link: no account, no staff pages, nothing but
their own questionnaires or their own progress."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from touchstone.accounts.access import public
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.measures.actions import do_save_answers
from touchstone.measures.forms import AnswersForm
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, Status
from touchstone.measures.progress import client_series
from touchstone.portal.actions import do_use_portal_link
from touchstone.portal.models import Purpose, find_link


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/gone.html", status=404)


@public
@never_cache
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    link = find_link(token)
    if link is None:
        return _gone(request)
    request.audit_channel = "portal"  # type: ignore[attr-defined]
    timezone.activate(link.clinic.zone)  # dates on the client's pages are the clinic's
    if link.purpose == Purpose.SLEEP_DIARY:
        return redirect("physiology:diary", token=token)
    if link.purpose == Purpose.PROGRESS:
        record(request, Action.READ, link.client, clinic=link.clinic, detail="portal progress")
        completed = Administration.objects.filter(
            clinic=link.clinic, client=link.client, status=Status.COMPLETED
        )
        return render(
            request,
            "portal/progress.html",
            {"link": link, "series": client_series(completed), "clinic": link.clinic},
        )

    administrations = list(link.administrations.filter(status=Status.IN_PROGRESS))
    forms = [
        (
            a,
            AnswersForm(
                instrument(a.instrument_id),
                request.POST or None,
                initial=a.answers,
                prefix=f"a{a.pk}",
            ),
        )
        for a in administrations
    ]
    risk = False
    if request.method == "POST" and all(form.is_valid() for _, form in forms):
        finish = "finish" in request.POST
        try:
            for administration, form in forms:
                do_save_answers(
                    administration, form.answers(), complete=finish, actor=None, request=request
                )
        except ValidationError as error:
            forms[0][1].add_error(None, error)
        else:
            risk = any(a.risk_flags for a in administrations)
            if finish:
                do_use_portal_link(link, request)
                return render(request, "portal/thanks.html", {"clinic": link.clinic, "risk": risk})
    record(request, Action.READ, link, clinic=link.clinic, detail="portal form")
    return render(
        request,
        "portal/fill.html",
        {
            "link": link,
            "forms": [(a, instrument(a.instrument_id), f) for a, f in forms],
            "clinic": link.clinic,
            "risk": risk,
            "saved": request.method == "POST",
        },
    )
