from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The job runner (the edge): the worker, the periodic schedule and the jobs page. Each
    app's tasks live in its own ``tasks.py``."""

    name = "touchstone.jobs"
    label = "jobs"
