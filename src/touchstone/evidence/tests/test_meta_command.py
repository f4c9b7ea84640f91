"""``touchstone meta FILE.csv ...``: the command-line contract (issue 6, point 6)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from touchstone.science.meta.tests.conftest import METAFOR, close, default_tol, tight_fit

BCG = METAFOR["bcg"]
SMD = METAFOR["smd"]


def _csv(tmp_path: Path, text: str, name: str = "studies.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _run(path: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("meta", str(path), *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # one JSON object
    result: dict[str, Any] = json.loads(lines[0])
    return result


def _bcg_csv(tmp_path: Path) -> Path:
    rows = ["trial,ai,bi,ci,di"] + [
        f"{i + 1},{a},{b},{c},{d}"
        for i, (a, b, c, d) in enumerate(
            zip(BCG["ai"], BCG["bi"], BCG["ci"], BCG["di"], strict=True)
        )
    ]
    return _csv(tmp_path, "\n".join(rows) + "\n")


@pytest.mark.parametrize(
    ("method", "test"), [("REML", "z"), ("REML", "knha"), ("DL", "z"), ("FE", "z"), ("PM", "z")]
)
def test_it_pools_2x2_tables_as_metafor_does(tmp_path: Path, method: str, test: str) -> None:
    result = _run(_bcg_csv(tmp_path), "--measure", "RR", "--method", method, "--test", test)
    ref = next(f for f in BCG["fits"] if f["method"] == method and f["test"] == test)
    # expected: metafor 3.8.1 ref["call"] on escalc("RR", data=dat.bcg)
    for ours, theirs in [("estimate", "beta"), ("se", "se"), ("ci_lb", "ci_lb"), ("ci_ub", "ci_ub"),
                         ("pval", "pval"), ("tau2", "tau2"), ("i2", "I2"), ("h2", "H2"),
                         ("q", "QE"), ("q_p", "QEp")]:  # fmt: skip
        close(result[ours], ref[theirs])
    if "pi_lb" in ref:
        close([result["pi_lb"], result["pi_ub"]], [ref["pi_lb"], ref["pi_ub"]])
    assert result["k"] == 13
    assert {"k", "estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "i2", "h2", "q", "q_p",
            "pi_lb", "pi_ub"} <= set(result)  # fmt: skip


def test_it_pools_group_summaries_as_hedges_g(tmp_path: Path) -> None:
    cols = ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]
    rows = [",".join(cols)] + [",".join(str(SMD[c][i]) for c in cols) for i in range(6)]
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    result = _run(path, "--measure", "SMD", "--method", "REML")
    ref = next(f for f in SMD["fits"] if f["method"] == "REML" and f["test"] == "z")
    # metafor: rma(escalc("SMD", ...)) REML, within metafor's stopping error (conftest)
    opt = tight_fit("smd", "REML", "z")
    close(result["estimate"], ref["beta"], default_tol(ref["beta"], opt["beta"]))
    close(result["tau2"], ref["tau2"], default_tol(ref["tau2"], opt["tau2"]))
    close([result["estimate"], result["tau2"]], [opt["beta"], opt["tau2"]], 1e-8)
    md = _run(path, "--measure", "MD", "--method", "FE")
    # FE pooled MD = inverse-variance mean of metafor's escalc("MD") yi/vi
    w = [1 / v for v in SMD["md_vi"]]
    close(md["estimate"], sum(wi * y for wi, y in zip(w, SMD["md_yi"], strict=True)) / sum(w))


def test_it_pools_generic_estimates(tmp_path: Path) -> None:
    k = METAFOR["kacker"]
    rows = ["yi,vi"] + [f"{y},{v}" for y, v in zip(k["yi"], k["vi"], strict=True)]
    result = _run(_csv(tmp_path, "\n".join(rows)), "--measure", "GEN", "--method", "PM")
    # evidence.md Fixture 2, method="PM": b = 62.4076199113286, tau2 = 0.705395309224248
    close(result["estimate"], 62.4076199113286)
    close(result["tau2"], 0.705395309224248)


def test_it_runs_as_the_console_command(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("touchstone")
    done = subprocess.run(
        [str(exe), "meta", str(_bcg_csv(tmp_path)), "--measure", "RR", "--method", "REML"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["estimate"] == pytest.approx(-0.7145, abs=1e-4)
    bad = subprocess.run(
        [str(exe), "meta", str(tmp_path / "nope.csv"), "--measure", "RR", "--method", "REML"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1


G, R = "GEN", "REML"
BAD_FILES = [
    ("yi\n0.1\n0.2\n", G, R, "line 1, column 'vi': missing column"),
    ("ai,bi,ci\n1,2,3\n", "RR", "REML", "line 1, column 'di': missing column"),
    ("yi,vi\n0.1,0.01\n0.2,abc\n", G, R, "line 3, column 'vi': 'abc' is not a number"),
    ("yi,vi\n0.1,0.01\n,0.02\n", G, R, "line 3, column 'yi': '(empty)' is not a number"),
    ("yi,vi\n0.1,0.01\n0.2,inf\n", G, R, "line 3, column 'vi': 'inf' is not a finite"),
    ("yi,vi\n0.1,0.01\n0.2,-0.02\n", G, R, "line 3, column 'vi': -0.02 must be positive"),
    ("yi,vi\n0.1,0.01\n0.2,0\n", G, R, "line 3, column 'vi': 0 must be positive"),
    ("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,-1,10,0,1,10\n2,1,10,0,1,10\n", "SMD", "DL",
     "line 2, column 'sd1i': -1 must not be negative"),
    ("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,0,1,10\n2,1,10.5,0,1,10\n", "MD", "DL",
     "line 3, column 'n1i': 10.5 must be a whole number"),
    ("ai,bi,ci,di\n1,2,3,4\n1,-2,3,4\n", "OR", R,
     "line 3, column 'bi': -2 must not be negative"),
    ("ai,bi,ci,di\n1,2,3,4\n0,0,3,4\n", "RR", "REML", "line 3, column 'ai, bi'"),
    ("yi,vi\n0.1,0.01\n", G, R, "line 2: a random-effects model (REML) needs at least 2"),
    ("yi,vi\n0.1,0.01\n", "GEN", "DL", "needs at least 2 studies"),
    ("", G, R, "the file is empty"),
    ("yi,vi\n", G, R, "no studies"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "measure", "method", "expected"), BAD_FILES)
def test_it_rejects_bad_files_naming_the_row_and_column(
    tmp_path: Path, text: str, measure: str, method: str, expected: str
) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(CommandError, match=expected.replace("(", r"\(").replace(")", r"\)")) as err:
        call_command("meta", str(path), "--measure", measure, "--method", method)
    assert err.value.returncode == 2
    assert "\n" not in str(err.value)


def test_it_counts_physical_lines_across_blank_lines_and_quoted_fields(tmp_path: Path) -> None:
    text = 'study,yi,vi\n"Smith\n2001",0.1,0.01\n\n"Jones",0.2,bad\n'
    with pytest.raises(CommandError, match="line 5, column 'vi'"):
        call_command("meta", str(_csv(tmp_path, text)), "--measure", "GEN", "--method", "FE")


def test_it_rejects_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read the file") as err:
        call_command("meta", str(tmp_path / "missing.csv"), "--measure", "GEN", "--method", "FE")
    assert err.value.returncode == 2
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00yi,vi\n")
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("meta", str(binary), "--measure", "GEN", "--method", "FE")


def test_it_allows_a_single_study_for_a_fixed_effect_model(tmp_path: Path) -> None:
    result = _run(_csv(tmp_path, "yi,vi\n0.3,0.04\n"), "--measure", "GEN", "--method", "FE")
    assert result["k"] == 1 and result["se"] == pytest.approx(0.2)


def test_it_refuses_tagged_studies_that_cannot_be_pooled(tmp_path: Path) -> None:
    mixed = _csv(
        tmp_path,
        "study,yi,vi,domain,scale,design\n"
        "Rapaport 2016,-3.26,2.2082,anxiety,HAM-A,controlled\n"
        "Ko 2014,-3.97,0.1849,sleep,PSQI,controlled\n",
    )
    with pytest.raises(
        CommandError, match=r"cannot be pooled: .*anxiety: Rapaport 2016; sleep"
    ) as err:
        _run(mixed, "--measure", "GEN")
    assert err.value.returncode == 2
    same = _csv(
        tmp_path,
        "study,yi,vi,domain,scale,design\n"
        "A 2001,0.42,0.05,depression,BDI,controlled\n"
        "B 2005,0.18,0.03,depression,CES-D,controlled\n",
        name="same.csv",
    )
    assert _run(same, "--measure", "GEN")["k"] == 2
    partial = _csv(tmp_path, "yi,vi,domain\n0.1,0.01,sleep\n0.2,0.02,sleep\n", name="p.csv")
    with pytest.raises(CommandError, match="column 'scale, design': give domain, scale and"):
        _run(partial, "--measure", "GEN")


def test_it_takes_the_confidence_level_as_a_proportion(tmp_path: Path) -> None:
    path = _bcg_csv(tmp_path)
    default = _run(path, "--measure", "RR", "--method", "DL")
    ninety = _run(path, "--measure", "RR", "--method", "DL", "--level", "0.9")
    assert default["level"] == 0.95 and ninety["level"] == 0.9
    assert ninety["ci_ub"] - ninety["ci_lb"] < default["ci_ub"] - default["ci_lb"]
    # metafor: rma(yi, vi, method="DL", level=90) gives the 90% interval
    z90 = 1.6448536269514722  # qnorm(0.95)
    close(ninety["ci_ub"] - ninety["estimate"], z90 * ninety["se"], 1e-12)
    with pytest.raises(CommandError, match=r"proportion between 0 and 1, e\.g\. 0\.95") as err:
        call_command("meta", str(path), "--measure", "RR", "--method", "DL", "--level", "95")
    assert err.value.returncode == 2


def test_it_reports_a_censored_tau2_bound_as_censored_not_as_a_number(tmp_path: Path) -> None:
    path = _csv(tmp_path, "yi,vi\n0.1,0.04\n2.6,0.06\n5.2,0.05\n")
    result = _run(path, "--measure", "GEN", "--method", "DL")
    # metafor 3.8.1: confint() of this DL fit gives the tau^2 upper bound as ">100.0000"
    # (make_metafor_tight_fixtures.R, dataset "censored100")
    assert result["tau2_ci_ub"] is None
    assert result["tau2_ci_ub_censored"] is True and result["tau2_ci_lb_censored"] is False
    assert result["tau2_ci_limit"] == 100.0
    assert result["i2_ci_ub"] is None and result["h2_ci_ub"] is None
    assert result["tau2_ci_lb"] == pytest.approx(1.7179, abs=1e-4)
