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
]
