"""``touchstone hrv FILE``: HRV metrics of one RR-interval recording, as one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.hrv import hrv_metrics, read_rr_file


class Command(BaseCommand):
    help = (
        "Print HRV metrics (n_beats, mean_rr, mean_hr, sdnn, rmssd, pnn50 %, lf, hf, lf_hf, "
        "n_corrected) of an RR-interval file as one JSON object. Formats: one RR in ms per "
        "line (optional header), or a Polar Sensor Logger RR export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="RR-interval file")
        parser.add_argument(
            "--artifacts",
            choices=["threshold", "kubios"],
            default="threshold",
            help="artifact correction: threshold (300-2000 ms and 20%% local-median "
            "criterion, default) or kubios (Lipponen & Tarvainen 2019, via NeuroKit2)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            recording = read_rr_file(options["file"])
            metrics = hrv_metrics(recording.rr_ms, artifacts=options["artifacts"])
        except FileNotFoundError:
            raise CommandError(f"{options['file']}: no such file", returncode=2) from None
        except PhysiologyError as error:
            raise CommandError(f"{options['file']}: {error}", returncode=2) from None
        self.stdout.write(json.dumps({**metrics.to_dict(), "format": recording.format}))
