import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def two_factor(settings):
    """Two-factor login enforced, as in production (the tests run with it off)."""
    settings.STAFF_REQUIRE_2FA = True


@pytest.fixture
def make_device(db):
    def make(user, **overrides) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Telefon", confirmed=True, **overrides)

    return make


def app_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now: RFC 6238, from the device's own key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
