# Fills faq's suggestion counters from the impressions recorded before they existed. It lives in
# tickets, which owns the impressions, so faq's migrations never reach into tickets.

from django.db import migrations
from django.db.models import Count, Q


def counters_fill(apps, schema_editor):
    FaqEntry = apps.get_model("faq", "FaqEntry")
    HelpPage = apps.get_model("faq", "HelpPage")
    SuggestionImpression = apps.get_model("tickets", "SuggestionImpression")
    per_entry = SuggestionImpression.objects.values("entry").annotate(
        shown=Count("pk"), sent=Count("pk", filter=Q(ticket__isnull=False))
    )
    for row in per_entry:
        FaqEntry.objects.filter(pk=row["entry"]).update(
            suggested_count=row["shown"], sent_anyway_count=row["sent"]
        )
    for page in HelpPage.objects.all():
        impressions = SuggestionImpression.objects.filter(entry__block__page=page)
        totals = impressions.aggregate(
            forms=Count("form_token", distinct=True),
            sent=Count("form_token", distinct=True, filter=Q(ticket__isnull=False)),
        )
        HelpPage.objects.filter(pk=page.pk).update(
            suggested_forms_count=totals["forms"], sent_anyway_forms_count=totals["sent"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_outboundemail_failed_at"),
        ("faq", "0005_suggestion_counters"),
    ]

    operations = [migrations.RunPython(counters_fill, migrations.RunPython.noop)]
