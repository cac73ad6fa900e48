from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views

# Errors outside DRF views: JSON in the protocol's shape under /api/ and /igsp/, HTML for the admin and pages.
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/partners/", include("integration_hub.registration.urls")),
    path("api/v1/", include("integration_hub.public_api.urls")),
    path("igsp/v1/", include("integration_hub.igsp.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("", include("pages.urls")),
]
