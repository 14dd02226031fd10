from base64 import b32encode, b64encode
from io import BytesIO

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.qr import write_qrcode_image

from staffauth.forms import CodeForm
from staffauth.services import staff_device_verify, totp_device_confirm, totp_device_pending

# The new recovery codes wait here between the setup POST and the page that shows them once.
RECOVERY_CODES_SESSION_KEY = "staffauth_recovery_codes"


@never_cache
@staff_member_required
def verify(request):
    next_url = _next_url(request)
    if request.user.is_verified():
        return HttpResponseRedirect(next_url)
    if not user_has_device(request.user):
        return _redirect("staffauth:setup", next_url)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = staff_device_verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(next_url, status=303)
        form.add_error("code", _wrong_code())
    context = admin.site.each_context(request) | {"title": _("Two-factor login"), "form": form}
    return render(request, "staffauth/verify.html", context)


@never_cache
@staff_member_required
def setup(request):
    next_url = _next_url(request)
    # With a device already, only a session verified by it may replace it (a new phone).
    if user_has_device(request.user) and not request.user.is_verified():
        return _redirect("staffauth:verify", next_url)
    device = totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        codes = totp_device_confirm(device=device, token=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            return _redirect("staffauth:recovery_codes", next_url, status=303)
        form.add_error("code", _wrong_code())
    key = b32encode(device.bin_key).decode()
    context = admin.site.each_context(request) | {
        "title": _("Set up two-factor login"),
        "form": form,
        "qr_code_url": _qr_code_data_url(device.config_url),
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
    }
    return render(request, "staffauth/setup.html", context)


@never_cache
@staff_member_required
def recovery_codes(request):
    next_url = _next_url(request)
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if codes is None:
        return HttpResponseRedirect(next_url)
    context = admin.site.each_context(request) | {
        "title": _("Your recovery codes"),
        "codes": codes,
        "next_url": next_url,
    }
    return render(request, "staffauth/recovery_codes.html", context)


def _next_url(request) -> str:
    url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def _redirect(view_name: str, next_url: str, *, status: int = 302) -> HttpResponseRedirect:
    query = urlencode({"next": next_url})
    return HttpResponseRedirect(f"{reverse(view_name)}?{query}", status=status)


def _wrong_code() -> ValidationError:
    return ValidationError(
        _("That code is not right. After a wrong code, wait a few seconds before the next one."),
        code="wrong",
    )


def _qr_code_data_url(config_url: str) -> str:
    # An <img> with a data: URL, which the Content-Security-Policy allows; inline SVG would carry
    # style attributes, which it does not.
    out = BytesIO()
    write_qrcode_image(config_url, out)
    return f"data:image/svg+xml;base64,{b64encode(out.getvalue()).decode()}"
