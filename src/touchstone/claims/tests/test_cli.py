"""``touchstone claims``: 837p and cms1500 for visits, import-835; bad input is one line with
exit status 2 and nothing written."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from touchstone.claims import x835
from touchstone.claims.models import Claim, ClaimStatus, Remittance
from touchstone.claims.tests.factories import (
    billing_ready,
    charged_visit,
    diagnosed_episode,
    insured_client,
    with_npi,
)
from touchstone.claims.tests.x12check import x12_errors
from touchstone.conftest import Cast


@pytest.fixture
def visit_ids(cast: Cast) -> str:
    billing_ready(cast.harbour)
    with_npi(cast.tess)
    client = insured_client(cast.harbour)
    episode = diagnosed_episode(cast.harbour, client)
    visits = [
        charged_visit(cast.harbour, client, episode, days_ago=d, staff=cast.tess) for d in (5, 2)
    ]
    return ",".join(str(v.pk) for v in visits)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("claims", *args, "--clinic", "harbour", stdout=out)
    return out.getvalue()


def test_it_writes_an_837p_and_a_cms1500(visit_ids: str, tmp_path: Path):
    out = _run("837p", "--visits", visit_ids, "--out", str(tmp_path / "claims.837"))
    assert "with 1 claims" in out
    assert x12_errors((tmp_path / "claims.837").read_text()) == []
    _run("cms1500", "--visits", visit_ids, "--out", str(tmp_path / "claims.pdf"))
    assert (tmp_path / "claims.pdf").read_bytes().startswith(b"%PDF")
    assert Claim.objects.count() == 1  # the PDF reuses the claim of the 837P


def test_it_imports_an_835(visit_ids: str, tmp_path: Path):
    _run("837p", "--visits", visit_ids, "--out", str(tmp_path / "claims.837"))
    claim = Claim.objects.get()
    denial = x835.ClaimPayment(
        claim.control_number,
        "4",
        claim.total,
        Decimal("0.00"),
        Decimal("0.00"),
        "P1",
        (x835.Adjustment("CO", "50", claim.total),),
        (),
        ("EXAMPLE", "DANA", "MEM123"),
    )
    text = x835.build_835(
        x835.Remittance(
            Decimal("0"), "NON", dt.date(2026, 2, 1), "T9", "ACME HEALTH", "", (denial,)
        ),
        sender_id="ACME1",
        receiver_id="TOUCHSTONE1",
        payee_name="Harbour",
        payee_npi="1234567893",
        control_number=1,
        created_at=dt.datetime(2026, 2, 1, 9, 0),
    )
    (tmp_path / "r.835").write_text(text)
    assert "1 denied" in _run("import-835", str(tmp_path / "r.835"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("837p", "--visits", "x,1", "--out", "f"), "visit ids separated by commas"),
        (("837p", "--visits", "999999", "--out", "f"), "no visit 999999"),
        (("cms1500", "--visits", "1", "--out", "/nonexistent/dir/f.pdf"), "no "),
        (("import-835", "/nonexistent.835"), "no file"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(visit_ids: str, args: tuple, message: str):
    with pytest.raises(CommandError, match=message) as caught:
        _run(*args)
    assert caught.value.returncode == 2
    assert Claim.objects.count() == 0 and Remittance.objects.count() == 0


def test_a_claim_problem_is_named(cast: Cast, visit_ids: str, tmp_path: Path):
    from touchstone.claims.models import Coverage

    Coverage.objects.update(member_id="")
    with pytest.raises(CommandError, match="no member ID"):
        _run("837p", "--visits", visit_ids, "--out", str(tmp_path / "c.837"))
    assert Claim.objects.count() == 0


def test_a_malformed_835_posts_nothing(visit_ids: str, tmp_path: Path):
    (tmp_path / "bad.835").write_text("ISA*" + "x" * 200)
    with pytest.raises(CommandError, match="nothing was posted"):
        _run("import-835", str(tmp_path / "bad.835"))
    assert Remittance.objects.count() == 0
