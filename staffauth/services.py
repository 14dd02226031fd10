"""Staff two-factor devices: an authenticator app (TOTP) and its recovery codes."""

from django.db import transaction
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's authenticator being set up: the same key on every visit until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code from the app; returns its new recovery codes, or None."""
    if not device.verify_token(token.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Setting up again (a new phone) replaces the old authenticator and the old codes.
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=device.user).delete()
    recovery = StaticDevice.objects.create(user=device.user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes


def staff_device_verify(*, user, token: str) -> Device | None:
    """The user's confirmed device that accepts `token` (app or recovery code), or None."""
    token = "".join(token.split()).lower()
    # Only the kind of device the code can be for is asked, so a recovery code does not count as
    # a wrong app code in the app's throttle (each wrong code doubles the wait for the next one).
    model = TOTPDevice if token.isdigit() else StaticDevice
    for device in model.objects.devices_for_user(user):
        if verified := verify_token(user, device.persistent_id, token):
            return verified
    return None


@transaction.atomic
def staff_devices_reset(*, user) -> int:
    """Remove the user's authenticator and recovery codes; they set up anew at the next login."""
    totp_count, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticToken.objects.filter(device__user=user).delete()
    static_count, _ = StaticDevice.objects.filter(user=user).delete()
    return totp_count + static_count
