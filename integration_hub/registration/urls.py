from django.urls import path

from . import views

urlpatterns = [
    path("register", views.PartnerRegisterView.as_view(), name="partner-register"),
]
