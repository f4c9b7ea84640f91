"""The page a member refused by their role reads (errors.forbidden): true for whoever reads
it, the owner included (who has no owner to ask)."""

from __future__ import annotations

from touchstone.conftest import Cast

ASK_THE_OWNER = "Ask your clinic&#x27;s owner"


def test_the_owner_is_told_the_page_is_a_clinicians_and_how_to_get_one(cast: Cast):
    response = cast.browser_for(cast.alice).get("/outcomes/measures/clients/")
    page = response.content.decode()
    assert response.status_code == 403
    assert ASK_THE_OWNER not in page and "Ask your clinic's owner" not in page
    assert "only a licensed clinician may do" in page
    assert 'href="/accounts/staff/invite/?role=clinician"' in page


def test_anyone_else_is_sent_to_the_owner(cast: Cast):
    response = cast.browser_for(cast.fiona).get("/outcomes/measures/clients/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Ask your clinic" in page and "owner if you need it" in page
    assert "/accounts/staff/invite/" not in page
