from django.urls import path

from faq import views

app_name = "faq"
urlpatterns = [
    path("", views.help_page, name="help_page"),
    path("sok/", views.search, name="search"),
    path("svar/tilbakemelding/", views.vote, name="vote"),
    path("svar/<int:entry_id>/tilbakemelding/", views.entry_feedback, name="feedback"),
]
