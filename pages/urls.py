from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("launch/<uuid:session_id>", views.launch, name="launch"),
    path("demo/", views.demo, name="demo"),
    path("rounds/<str:token>", views.round_details, name="round-details"),
]
