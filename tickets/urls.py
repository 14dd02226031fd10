from django.urls import path

from tickets import chat_views, views

app_name = "tickets"
urlpatterns = [
    path("kontakt/", views.contact, name="contact"),
    path("kontakt/forslag/", views.suggest, name="suggest"),
    path("kontakt/forslag/apnet/", views.suggestion_opened, name="suggestion_opened"),
    path("kontakt/skjema/", views.form_token, name="form_token"),
    path("chat/status/", chat_views.status, name="chat_status"),
    path("chat/start/", chat_views.start, name="chat_start"),
    path("chat/melding/", chat_views.leave_message, name="chat_message"),
    path("vedlegg/<int:pk>/", views.attachment, name="attachment"),
    path("vedlegg/<int:pk>/miniatyr/", views.attachment_thumbnail, name="attachment_thumbnail"),
    # Before the thanks page's catch-all slug; the token holds dots, which no slug does.
    path("sak/<str:token>/", views.ticket_page, name="ticket_page"),
    path(
        "sak/<str:token>/vedlegg/<int:pk>/",
        views.ticket_page_attachment,
        name="ticket_page_attachment",
    ),
    path("vurdering/<str:token>/", views.rating, name="rating"),
    # The HelpForm block's success path (/suksess for the seed); checked against the content.
    path("<slug:slug>/", views.thanks, name="thanks"),
]
