from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from sekvens_help.urls import urlpatterns as project_urlpatterns


def hello(request):
    return HttpResponse("Hello, world")


# The contact form's baseline: a POST through the same middleware, CSRF check included.
@require_POST
def hello_post(request):
    return HttpResponse("ok")


urlpatterns = [
    *project_urlpatterns,
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/hello-post/", hello_post, name="bench_hello_post"),
]
