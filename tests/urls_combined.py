"""The hub and the sandbox partner on one live server (their paths do not overlap)."""

from django.urls import include, path

urlpatterns = [
    path("", include("config.urls")),  # first: the hub's /healthz wins
    path("", include("sandbox.urls")),
]
