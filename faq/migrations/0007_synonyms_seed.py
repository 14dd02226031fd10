from django.db import migrations

from sekvens_help.group_permissions import group_permissions_add

# Words customers use (Norwegian and English) for what the seed page's answers call otherwise.
SYNONYMS = {
    "gdpr": "personvern, personopplysninger",
    "privacy": "personvern",
    "personvernerklæring": "personvern",
    "data": "personopplysninger",
    "pakke": "varer, package, parcel",
    "forsendelse": "varer, levering",
    "varer": "goods, items",
    "avbestille": "kansellere, cancel, angre, annullere",
    "bestilling": "ordre, order, kjøp",
    "levering": "leveranse, leveringstid, delivery, shipping, frakt",
    "leveringstid": "leveransedato, levert",
    "sporing": "ordrehistorikk, tracking, spore",
    "password": "passord",
    "passord": "kode, pw",
    "tilbakestille": "reset, nullstille",
    "glemt": "forgot, forgotten",
    "innlogging": "login, log, pålogging, logge, sign",
    "brukernavn": "username, bruker",
    "pris": "koster, kostnad, price, cost, prisliste",
    "faktura": "invoice, regning, billing",
    "adresse": "address",
    "endre": "oppdatere, bytte, forandre, change, update",
    "feil": "bug, error, problem",
    "reklamasjon": "mangel, reklamere, skadet, ødelagt, damaged, complaint",
    "melde": "rapportere, report, varsle",
    "produkt": "product, products",
}


def synonyms_add(apps, schema_editor):
    Synonym = apps.get_model("faq", "Synonym")
    Synonym.objects.bulk_create(
        Synonym(word=word, equivalents=equivalents) for word, equivalents in SYNONYMS.items()
    )
    # Editors manage the synonyms as they do the entries (see 0002_editor_group).
    group_permissions_add(apps, "Redaktør", "faq", content_type__model="synonym")


def synonyms_remove(apps, schema_editor):
    apps.get_model("faq", "Synonym").objects.filter(word__in=SYNONYMS).delete()


class Migration(migrations.Migration):
    dependencies = [("faq", "0006_synonym"), ("faq", "0002_editor_group")]

    operations = [migrations.RunPython(synonyms_add, synonyms_remove)]
