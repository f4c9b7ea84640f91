"""The jobs page: what the worker did for this clinic, and what it will do next."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django_tasks_db.models import DBTaskResult

from touchstone.accounts.access import MemberRequest, requires
from touchstone.jobs.models import PeriodicRun
from touchstone.jobs.schedule import SCHEDULE


@requires("jobs.view")
def job_list(request: MemberRequest) -> HttpResponse:
    """The clinic's task results, newest first (status, attempts, the error's type: never
    its text, which could quote data), and the periodic schedule with its last run."""
    clinic = request.member.clinic
    results = DBTaskResult.objects.filter(args_kwargs__kwargs__clinic_id=clinic.pk).order_by(
        "-enqueued_at"
    )
    status = request.GET.get("status", "")
    if status in {"READY", "RUNNING", "FAILED", "SUCCESSFUL"}:
        results = results.filter(status=status)
    page = Paginator(results, 50).get_page(request.GET.get("page"))
    last = {run.name: run.last_enqueued_at for run in PeriodicRun.objects.filter(clinic=clinic)}
    schedule = [
        {"name": p.name, "every": p.every, "last": last.get(p.name)}
        for p in SCHEDULE
        if p.per_clinic
    ]
    return render(
        request,
        "jobs/list.html",
        {"page": page, "schedule": schedule, "status": status},
    )
