"""Each study effect says what it measured (domain), on which instrument (scale) and from
which design, so that the synthesis can refuse what cannot be combined (issue 10, section 5).

Existing rows get the new fields here:

* shipped studies (every clinic's copy) from the values of ``studies.json`` schema 2, written
  out below so the migration does not change when the data file does (later corrections reach
  the copies through ``actions.do_seed_library``);
* an owner's own study with an effect: the domain is the study's domain (unless "cost"), the
  scale its outcome text, and the design only when its design text says so unambiguously
  (meta-analysis / pre-post / randomized or controlled); anything else stays blank, which
  makes the study not poolable until the fields are given, rather than guessed;
* saved syntheses: each row gets the domain, scale, design and measure of its study (the
  clinic's practice row: PHQ-9 -> depression, GAD-7 -> anxiety, pre-post, SMD), so a saved
  synthesis that mixed them is shown refused instead of pooled.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models

SHIPPED = {
    "hou2010": ("depression", "various", "meta_summary"),
    "rapaport2016": ("anxiety", "HAM-A", "controlled"),
    "ko2014": ("sleep", "PSQI", "controlled"),
    "jane2011": ("sleep", "RCSQ", "controlled"),
}
PRACTICE = {"phq9": ("depression", "PHQ-9"), "gad7": ("anxiety", "GAD-7")}


def _design(text: str) -> str:
    t = text.casefold()
    if "meta-analy" in t or "meta analy" in t:
        return "meta_summary"
    if re.search(r"pre[-– ]?post|before[- ]and[- ]after|uncontrolled|single[- ]group", t):
        return "pre_post"
    if re.search(r"\brct\b|randomi[sz]ed|controlled trial", t):
        return "controlled"
    return ""


def tag_studies(apps: Any, schema_editor: Any) -> None:
    Study = apps.get_model("evidence", "Study")
    for study in Study.objects.exclude(yi=None).iterator():
        if study.shipped and study.key in SHIPPED:
            study.effect_domain, study.scale, study.effect_design = SHIPPED[study.key]
        elif not study.shipped:
            study.effect_domain = study.domain if study.domain != "cost" else ""
            study.scale = " ".join(study.outcome.split())[:80]
            study.effect_design = _design(study.design)
        else:
            continue
        study.save(update_fields=["effect_domain", "scale", "effect_design"])


def tag_syntheses(apps: Any, schema_editor: Any) -> None:
    Study = apps.get_model("evidence", "Study")
    Synthesis = apps.get_model("evidence", "Synthesis")
    for saved in Synthesis.objects.iterator():
        studies = {s.key: s for s in Study.objects.filter(clinic_id=saved.clinic_id)}
        rows = []
        for row in saved.rows:
            row = dict(row)
            if row.get("kind") == "practice":
                instrument = str(row.get("key", "")).removeprefix("clinic-")
                domain, scale = PRACTICE.get(instrument, ("", ""))
                row.update(domain=domain, scale=scale, design="pre_post", measure="SMD")
            elif (study := studies.get(row.get("key"))) is not None:
                row.update(
                    domain=study.effect_domain,
                    scale=study.scale,
                    design=study.effect_design,
                    measure=study.measure,
                )
            rows.append(row)
        saved.rows = rows
        saved.save(update_fields=["rows"])


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_library")]

    operations = [
        migrations.AddField(
            model_name="study",
            name="effect_domain",
            field=models.CharField(
                blank=True,
                choices=[
                    ("depression", "Depression"),
                    ("anxiety", "Anxiety"),
                    ("cortisol", "Cortisol"),
                    ("sleep", "Sleep"),
                    ("cost", "Cost"),
                ],
                max_length=12,
                verbose_name="Effect's outcome domain",
            ),
        ),
        migrations.AddField(
            model_name="study",
            name="scale",
            field=models.CharField(
                blank=True,
                help_text='e.g. HAM-A, BDI, STAI-T, PSQI, salivary cortisol nmol/L; "various" '
                "for an SMD summary over several instruments",
                max_length=80,
                verbose_name="Instrument or scale",
            ),
        ),
        migrations.AddField(
            model_name="study",
            name="effect_design",
            field=models.CharField(
                blank=True,
                choices=[
                    ("controlled", "Controlled between-group effect"),
                    ("pre_post", "Uncontrolled pre-post change"),
                    ("meta_summary", "Meta-analytic summary"),
                ],
                max_length=12,
                verbose_name="Effect design",
            ),
        ),
        migrations.RunPython(tag_studies, migrations.RunPython.noop),
        migrations.RunPython(tag_syntheses, migrations.RunPython.noop),
    ]
