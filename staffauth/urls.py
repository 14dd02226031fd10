from django.urls import path

from staffauth import views

app_name = "staffauth"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("oppsett/", views.setup, name="setup"),
    path("gjenopprettingskoder/", views.recovery_codes, name="recovery_codes"),
]
