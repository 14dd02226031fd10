from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

# What a staff user who has given a password but no code yet may still reach.
OPEN_VIEWS = {"admin:login", "admin:logout"}


class StaffVerificationMiddleware:
    """With STAFF_REQUIRE_2FA, staff who logged in with a password alone are sent to give a code.

    Every page counts, not only the admin: the public help page, too, shows staff hidden content.
    It must come after django_otp's OTPMiddleware, which tells whether the session is verified.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Without a session cookie nobody is logged in, and the session is not read: a public page
        # must not vary on Cookie.
        if not settings.STAFF_REQUIRE_2FA or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        user = request.user
        if not (user.is_authenticated and user.is_staff) or user.is_verified():
            return None
        match = request.resolver_match
        if match.namespace == "staffauth" or match.view_name in OPEN_VIEWS:
            return None
        step = "staffauth:verify" if user_has_device(user) else "staffauth:setup"
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(step)}?{query}")
