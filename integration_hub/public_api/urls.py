from django.urls import path

from . import views

urlpatterns = [
    path("create-new-game", views.CreateNewGameView.as_view(), name="core-create-new-game"),
    path("games", views.GamesView.as_view(), name="core-games"),
    path("free-rounds", views.FreeRoundsView.as_view(), name="core-free-rounds"),
]
