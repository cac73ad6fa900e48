"""The Core API's base view: X-REQUEST-SIGN authentication, the signing partner required, errors in the Core API's
``{message, details?, code?}`` shape. Shared by ``views.py`` and ``lookup.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.views import APIView

from core.api.authentication import IsPartner
from core.errors import ApplicationError

from .authentication import PublicApiSignatureAuthentication

if TYPE_CHECKING:
    from rest_framework.request import Request


class CoreApiView(APIView):
    authentication_classes = [PublicApiSignatureAuthentication]
    permission_classes = [IsPartner]
    error_style = "public_api"


def body_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object (a 400 in the protocol's shape otherwise)."""
    if not isinstance(request.data, dict):
        raise ApplicationError("The body must be a JSON object.")
    return request.data
