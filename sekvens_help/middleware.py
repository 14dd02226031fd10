"""Keep the Vary header a response declared (response.vary_declared, see faq.responses)."""


class VaryDeclaredMiddleware:
    """LocaleMiddleware adds "Vary: Accept-Language" to every page outside a language prefix,
    though there the language is always the default one, so a shared cache would keep one copy
    of the help page per browser language. A response that sets vary_declared gets that Vary;
    SessionMiddleware, outside this one, still adds Cookie when the session was read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if vary := getattr(response, "vary_declared", None):
            response["Vary"] = vary
        return response
