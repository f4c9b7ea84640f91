from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, path, resolve, reverse

from touchstone.lib.urls import client_scoped, pk_urls


def _page(request: HttpRequest, client_id: int) -> HttpResponse:
    return HttpResponse(str(client_id))


urlpatterns = [
    *client_scoped([path("intake/", _page, name="probe")]),
    path("visits/<int:pk>/notes/", _page, name="visit"),
]


def test_it_mounts_pages_under_the_client():
    mount = urlpatterns[0]
    assert isinstance(mount, URLResolver)
    assert str(mount.pattern) == "clients/<int:client_id>/"
    match = resolve("/clients/7/intake/", urlconf=__name__)
    assert match.kwargs == {"client_id": 7}
    assert match.func is _page


def test_it_links_many_rows_as_reverse_does(settings):
    settings.ROOT_URLCONF = __name__
    link = pk_urls("visit")
    for pk in (1, 7, 12345, 98765432109):
        assert link(pk) == reverse("visit", args=[pk]) == f"/visits/{pk}/notes/"
