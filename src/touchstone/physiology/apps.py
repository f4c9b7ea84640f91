from django.apps import AppConfig


class PhysiologyConfig(AppConfig):
    name = "touchstone.physiology"
    label = "physiology"

    def ready(self) -> None:
        from touchstone.clients.demo import DEMO_EXTENSIONS
        from touchstone.operations.cleanup import register
        from touchstone.physiology.actions import delete_expired_wearable_uploads
        from touchstone.physiology.demo import build_demo_physiology

        if build_demo_physiology not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(build_demo_physiology)
        register("wearable_uploads", delete_expired_wearable_uploads)
