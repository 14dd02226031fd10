from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from sekvens_help import views
from tickets import views as tickets_views
from tickets.desk import admin_home

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # A provider's inbound mail webhook, outside the language prefixes: a machine posts here.
    path("epost/inn/<slug:esp>/", tickets_views.inbound_webhook, name="inbound_webhook"),
    # Before the admin, whose catch-all view would answer these paths with a 404.
    path(f"{settings.ADMIN_URL}tofaktor/", include("staffauth.urls")),
    # The admin's front page, except that agents land on their queue (tickets.desk).
    path(settings.ADMIN_URL, admin.site.admin_view(admin_home)),
    path(settings.ADMIN_URL, admin.site.urls),
]
# Norwegian at /, English at /en/; the admin above stays at its one address.
urlpatterns += i18n_patterns(
    path("", include("faq.urls")),
    path("", include("tickets.urls")),
    prefix_default_language=False,
)
# Editors' uploads are served by Django only in development; production serves MEDIA_ROOT itself.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
