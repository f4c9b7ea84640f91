"""The client record: the pages that compose one client from every app.

The client page and the progress page sit above the apps whose panels they show, so no
app imports another to draw them: each app offers a panel selector (``care.selectors.
client_care_summary`` and ``massage_progress``, ``portal.selectors.open_links``,
``measures.selectors.questionnaire_progress``, ``outcomes.trajectories.
client_trajectories``, ``physiology.selectors.progress_panel``) and this package calls them.
It has no models; its pages hang under ``/clients/<id>/``.
"""
