"""Test-only URLs: echo endpoints behind each partner authentication class."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.authentication import IsPartner
from integration_hub.igsp.authentication import IgspHmacAuthentication
from integration_hub.public_api.authentication import PublicApiSignatureAuthentication


class IgspEcho(APIView):
    authentication_classes = [IgspHmacAuthentication]
    permission_classes = [IsPartner]
    error_style = "igsp"

    def get(self, request):
        return Response({"partner": str(request.user.partner.pk)})

    def post(self, request):
        return Response({"partner": str(request.user.partner.pk), "echo": request.data})


class PublicEcho(IgspEcho):
    authentication_classes = [PublicApiSignatureAuthentication]
    error_style = "public_api"


urlpatterns = [
    path("test/igsp-echo", IgspEcho.as_view()),
    path("test/public-echo", PublicEcho.as_view()),
    path("", include("config.urls")),
]
