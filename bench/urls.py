from django import forms
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_POST

from sekvens_help.urls import urlpatterns as project_urlpatterns
from tickets.models import Ticket

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


class TicketForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["name", "email", "message"]


# The contact form's baseline: the least a form that stores what it is sent can do on the same
# server, settings and database. One INSERT in autocommit, so one write transaction, and a 303.
@require_POST
def model_form_post(request):
    form = TicketForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
    form.save()
    return HttpResponseRedirect("/bench/hello/", status=303)


urlpatterns = [
    *project_urlpatterns,
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/raw-20k/", raw_20k, name="bench_raw_20k"),
    path("bench/hello-post/", hello_post, name="bench_hello_post"),
    path("bench/model-form-post/", model_form_post, name="bench_model_form_post"),
]
