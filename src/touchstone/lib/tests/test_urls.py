from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, path, resolve

from touchstone.lib.urls import client_scoped


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
