from django.urls import path

from faq import views

app_name = "faq"
urlpatterns = [
    path("", views.help_page, name="help_page"),
    path("sok/", views.search, name="search"),
    path("sok/logg/", views.search_beacon, name="search_beacon"),
    path("sok/besok/", views.visit_beacon, name="visit_beacon"),
    path("svar/tilbakemelding/", views.vote, name="vote"),
    path("svar/<int:entry_id>/tilbakemelding/", views.entry_feedback, name="feedback"),
    path("svar/<int:entry_id>/mangler/", views.entry_feedback_reasons, name="feedback_reasons"),
    # After the vote addresses; no anchor is made "tilbakemelding" (faq.models.ANCHORS_RESERVED).
    path("svar/<slug:anchor>/", views.entry_page, name="entry_page"),
]
