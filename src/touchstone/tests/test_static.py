"""Every static file's references resolve, so production's manifest storage can collect them."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_it_collects_every_static_file_with_hashed_names(tmp_path: Path):
    # The same reference processing WhiteNoise's CompressedManifestStaticFilesStorage does in
    # production (CSS url(), JS and CSS sourceMappingURL), without the slow compression step:
    # a reference to a file that is not shipped (a vendored library's .map) fails here.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").is_file()
    assert list((tmp_path / "vendor").glob("vega-lite.min.*.js"))
