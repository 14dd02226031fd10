import pytest
from django.urls import reverse

ADMIN_PASSWORD = "password"


def admin_login(client, password, *, address):
    data = {"username": "admin", "password": password, "next": reverse("admin:index")}
    return client.post(reverse("admin:login"), data, REMOTE_ADDR=address)


def addresses(count: int) -> list[str]:
    """`count` addresses, four wrong passwords each at most: under the per-address limit of 5."""
    return [f"198.51.100.{n // 4}" for n in range(count)]


@pytest.mark.parametrize("limit", [20, 8])
def test_username_failures_from_many_addresses_up_to_the_limit_lock_it_out_everywhere(
    client, admin_user, settings, limit
):
    settings.LOGIN_USERNAME_FAILURE_LIMIT = limit
    for address in addresses(limit):
        admin_login(client, "feil-passord", address=address)

    response = admin_login(client, ADMIN_PASSWORD, address="203.0.113.99")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_failure_fewer_than_the_username_limit_leaves_the_login_open(client, admin_user):
    for address in addresses(19):
        admin_login(client, "feil-passord", address=address)

    response = admin_login(client, ADMIN_PASSWORD, address="203.0.113.99")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_username_limit_leaves_other_usernames_free(client, admin_user, django_user_model):
    django_user_model.objects.create_user("agent", password="agent-passord", is_staff=True)
    for address in addresses(20):
        admin_login(client, "feil-passord", address=address)

    data = {"username": "agent", "password": "agent-passord", "next": reverse("admin:index")}
    response = client.post(reverse("admin:login"), data, REMOTE_ADDR="203.0.113.99")

    assert response.status_code == 302
