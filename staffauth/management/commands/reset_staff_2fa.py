"""Remove a staff user's two-factor devices, for a lost phone: they set up anew at next login."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from staffauth.services import staff_devices_reset


class Command(BaseCommand):
    help = (
        "Remove a user's authenticator app and recovery codes (a lost phone). At their next login "
        "they are asked to set up two-factor login again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The staff user whose devices to remove.")

    def handle(self, *args, username, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get_by_natural_key(username)
        except user_model.DoesNotExist as error:
            raise CommandError(f"No user named '{username}'.") from error
        count = staff_devices_reset(user=user)
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {count} two-factor device(s) of {username}; "
                "they set up a new one at their next login."
            )
        )
