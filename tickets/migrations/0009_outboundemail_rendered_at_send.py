import django.db.models.deletion
from django.db import migrations, models


def unsent_replies_link(apps, schema_editor):
    # A reply still waiting to be sent is rendered from its note from now on: the note is the
    # ticket's last public one written before it (both were written in one transaction).
    OutboundEmail = apps.get_model("tickets", "OutboundEmail")
    TicketNote = apps.get_model("tickets", "TicketNote")
    unsent = OutboundEmail.objects.filter(kind="reply", sent_at=None, failed_at=None)
    for email in unsent:
        email.note = (
            TicketNote.objects.filter(
                ticket_id=email.ticket_id, kind="public", created_at__lte=email.created_at
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        email.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_ticket_reference"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="note",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tickets.ticketnote",
                verbose_name="note",
            ),
        ),
        migrations.RunPython(unsent_replies_link, migrations.RunPython.noop),
        migrations.RemoveField(model_name="outboundemail", name="html_body"),
        migrations.RemoveField(model_name="outboundemail", name="text_body"),
    ]
