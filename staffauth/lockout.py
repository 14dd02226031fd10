"""The admin login lockout: django-axes's database handler, with a limit per combination."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum


class LoginLockoutHandler(AxesDatabaseHandler):
    """Locks a username out from one address after AXES_FAILURE_LIMIT failures, and from every
    address after LOGIN_USERNAME_FAILURE_LIMIT failures, whichever comes first.

    django-axes 8.3 counts each combination of AXES_LOCKOUT_PARAMETERS, takes the largest count
    and compares it with its one AXES_FAILURE_LIMIT. Here each combination's count is scaled to
    that limit by the combination's own limit, so the largest scaled count reaches
    AXES_FAILURE_LIMIT exactly when some combination reaches its own limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        limit = get_failure_limit(request, credentials)
        combinations = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        scaled = [0]
        for combination, attempts in zip(combinations, attempts_list, strict=True):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            own_limit = (
                settings.LOGIN_USERNAME_FAILURE_LIMIT if combination == ["username"] else limit
            )
            scaled.append(count * limit // own_limit)
        return max(scaled)
