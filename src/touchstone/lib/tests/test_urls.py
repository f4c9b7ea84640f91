from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, path, resolve, reverse, set_script_prefix

from touchstone.lib.urls import client_scoped, fixed_url


def _page(request: HttpRequest, client_id: int) -> HttpResponse:
    return HttpResponse(str(client_id))


urlpatterns = client_scoped([path("intake/", _page, name="probe")])


def test_it_mounts_pages_under_the_client():
    (mount,) = urlpatterns
    assert isinstance(mount, URLResolver)
    assert str(mount.pattern) == "clients/<int:client_id>/"
    match = resolve("/clients/7/intake/", urlconf=__name__)
    assert match.kwargs == {"client_id": 7}
    assert match.func is _page


def test_fixed_url_is_reverse_once_per_process():
    assert fixed_url("home") == reverse("home")
    for client_id in (1, 7, 123_456):
        assert fixed_url("record:chart", client_id) == reverse("record:chart", args=[client_id])
    assert fixed_url("measures:alert", 42) == "/measures/alerts/42/"


def test_fixed_url_follows_the_urlconf_and_the_script_prefix(settings: Any):
    settings.ROOT_URLCONF = __name__
    assert fixed_url("probe", 9) == "/clients/9/intake/"
    try:
        set_script_prefix("/clinic-a/")
        assert fixed_url("probe", 9) == "/clinic-a/clients/9/intake/"
    finally:
        set_script_prefix("/")
