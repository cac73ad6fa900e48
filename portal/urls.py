from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("enter", views.enter, name="enter"),
    path("enter/<str:token>", views.enter_retired, name="enter-retired"),
    path("leave", views.leave, name="leave"),
    path("", views.home, name="home"),
    path("log", views.log, name="log"),
    path("log/<str:source>/<int:pk>", views.log_entry, name="log-entry"),
    path("stuck/<uuid:tx_id>/retry", views.retry, name="retry"),
    path("certification", views.certification, name="certification"),
    path("certification/start", views.certification_start, name="certification-start"),
    path("certification/<uuid:run_id>", views.certification_run, name="certification-run"),
    path("certification/<uuid:run_id>/print", views.certification_run_print, name="certification-print"),
    path("certification/<uuid:run_id>.json", views.certification_run_json, name="certification-json"),
]
