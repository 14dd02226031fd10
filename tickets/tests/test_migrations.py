import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tickets", "0012_desk_sla_assignment")]
AFTER = [("tickets", "0013_ticket_access_key")]


@pytest.fixture
def migrate_to():
    """Run the tickets app's migrations to a point; the latest state comes back afterwards."""

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_tickets_from_before_get_page_keys_of_their_own_and_anonymised_ones_none(migrate_to):
    old_apps = migrate_to(BEFORE)
    Ticket = old_apps.get_model("tickets", "Ticket")
    for reference, anonymised_at in [
        ("SEK-000001", None),
        ("SEK-000002", None),
        ("SEK-000003", timezone.now()),
    ]:
        Ticket.objects.create(
            reference=reference, name="Kari", email="k@example.no", anonymised_at=anonymised_at
        )

    new_apps = migrate_to(AFTER)

    keys = dict(
        new_apps.get_model("tickets", "Ticket").objects.values_list("reference", "access_key")
    )
    assert len(keys["SEK-000001"]) == len(keys["SEK-000002"]) == 43
    assert keys["SEK-000001"] != keys["SEK-000002"]
    assert keys["SEK-000003"] == ""
