"""Each ticket gets the secret of its customer's page link; tickets from before get one each
(an added field's callable default would give them all the same), anonymised ones none."""

import secrets

import tickets.references
from django.db import migrations, models


def access_keys_fill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    tickets = Ticket.objects.filter(anonymised_at=None, access_key="").only("pk")
    for ticket in tickets.iterator():
        Ticket.objects.filter(pk=ticket.pk).update(access_key=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_desk_sla_assignment"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="access_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(access_keys_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticket",
            name="access_key",
            field=models.CharField(
                blank=True,
                default=tickets.references.access_key_new,
                editable=False,
                max_length=64,
            ),
        ),
    ]
