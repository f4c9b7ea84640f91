from django.apps import AppConfig


class PhysiologyConfig(AppConfig):
    name = "touchstone.physiology"
    label = "physiology"
