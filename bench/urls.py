from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from sekvens_help.urls import urlpatterns as project_urlpatterns

RAW_20K = b"x" * 20 * 1024


def hello(request):
    return HttpResponse("Hello, world")


# The help page's baseline: as many bytes as a page, with nothing done to make them.
def raw_20k(request):
    return HttpResponse(RAW_20K)


# The contact form's baseline: a POST through the same middleware, CSRF check included.
@require_POST
def hello_post(request):
    return HttpResponse("ok")


urlpatterns = [
    *project_urlpatterns,
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/raw-20k/", raw_20k, name="bench_raw_20k"),
    path("bench/hello-post/", hello_post, name="bench_hello_post"),
]
