"""Test-only URLconf: plain (non-DRF) views that raise, under the API prefixes, and the hub's error handlers."""

from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the root's handlers


def plain_boom(request):
    raise RuntimeError("a bug outside DRF")


urlpatterns = [
    path("api/v1/test-plain-boom", plain_boom),
    path("igsp/v1/test-plain-boom", plain_boom),
    path("", include("config.urls")),
]
