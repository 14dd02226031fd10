"""A ticket is a thread of messages: notes and replies become Messages, and every ticket's first
message (Ticket.message, which stays) becomes the thread's first, from the customer."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def first_messages_add(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    tickets = Ticket.objects.exclude(messages__kind="customer").only(
        "pk", "name", "message", "created_at"
    )
    for ticket in tickets.iterator():
        first = Message.objects.create(
            ticket_id=ticket.pk,
            kind="customer",
            channel="form",
            author_name=ticket.name,
            body=ticket.message,
        )
        # auto_now_add gave it today; it was written when the ticket was.
        Message.objects.filter(pk=first.pk).update(created_at=ticket.created_at)


def permissions_rename(apps, schema_editor):
    # RenameModel moves the content type, not the permissions' codenames: without this, the
    # agents' group would hold "add_ticketnote" while the admin asks for "add_message".
    Permission = apps.get_model("auth", "Permission")
    for action in ["add", "change", "delete", "view"]:
        if Permission.objects.filter(codename=f"{action}_message").exists():
            continue
        Permission.objects.filter(codename=f"{action}_ticketnote").update(
            codename=f"{action}_message", name=f"Can {action} message"
        )


def first_messages_remove(apps, schema_editor):
    apps.get_model("tickets", "Message").objects.filter(kind="customer").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_outboundemail_rendered_at_send"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RenameModel("TicketNote", "Message"),
        migrations.AlterModelOptions(
            name="message",
            options={
                "ordering": ["created_at", "pk"],
                "verbose_name": "message",
                "verbose_name_plural": "messages",
            },
        ),
        migrations.AlterField(
            model_name="message",
            name="ticket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="tickets.ticket",
                verbose_name="ticket",
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(
                choices=[
                    ("customer", "From the customer"),
                    ("public", "Reply to the customer"),
                    ("internal", "Internal note"),
                ],
                default="internal",
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="author_name",
            field=models.CharField(blank=True, max_length=100, verbose_name="from"),
        ),
        migrations.AddField(
            model_name="message",
            name="channel",
            field=models.CharField(
                choices=[
                    ("form", "Contact form"),
                    ("email", "Email"),
                    ("page", "Ticket page"),
                    ("chat", "Chat"),
                    ("desk", "Agents' desk"),
                ],
                default="desk",
                max_length=16,
                verbose_name="channel",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="original",
            field=models.TextField(blank=True, verbose_name="original"),
        ),
        migrations.AddField(
            model_name="message",
            name="message_id",
            field=models.CharField(blank=True, max_length=255, verbose_name="Message-ID"),
        ),
        migrations.AddField(
            model_name="message",
            name="content_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="message",
            name="automatic",
            field=models.CharField(blank=True, max_length=16, verbose_name="automatic"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["message_id"], name="message_message_id"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["content_hash"], name="message_content_hash"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="note",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tickets.message",
                verbose_name="message",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(
                blank=True, db_index=True, max_length=255, verbose_name="Message-ID"
            ),
        ),
        migrations.RunPython(permissions_rename, migrations.RunPython.noop),
        migrations.RunPython(first_messages_add, first_messages_remove),
    ]
