from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


def test_reset_staff_2fa_removes_the_devices_so_the_user_sets_up_anew(agent, two_factor):
    device = TOTPDevice.objects.create(user=agent, confirmed=True)
    StaticToken.objects.create(device=StaticDevice.objects.create(user=agent), token="abc")
    out = StringIO()

    call_command("reset_staff_2fa", "agent", stdout=out)

    client = Client()
    client.force_login(agent)
    assert "Removed 2 two-factor device(s) of agent" in out.getvalue()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not StaticToken.objects.exists()
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("staffauth:setup"))


def test_reset_staff_2fa_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ingen'."):
        call_command("reset_staff_2fa", "ingen")
