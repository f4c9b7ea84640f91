from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "touchstone.evidence"
    label = "evidence"
