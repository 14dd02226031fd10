"""Readable, unguessable references (SEK-7K4Q-2MX9) for every ticket, old ones included.

Old tickets keep working under their old reference (SEK-000042) in the agents' search, which
reads it as the ticket's id.
"""

from django.db import migrations, models

from tickets.references import reference_new


def references_draw(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    taken = set()
    for ticket in Ticket.objects.filter(reference=None).only("pk").iterator():
        reference = reference_new()
        while reference in taken:
            reference = reference_new()
        taken.add(reference)
        Ticket.objects.filter(pk=ticket.pk).update(reference=reference)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_suggestion_counters_fill")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="reference",
            field=models.CharField(editable=False, max_length=16, null=True, verbose_name="reference"),
        ),
        migrations.RunPython(references_draw, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticket",
            name="reference",
            field=models.CharField(
                editable=False, max_length=16, unique=True, verbose_name="reference"
            ),
        ),
    ]
