"""The site's URLs and one view that fails, for the tests of what a failure shows and logs."""

from django.urls import path

from sekvens_help.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("A bug in a view")


urlpatterns = [path("feil/", broken), *site_urlpatterns]
