"""DRF authentication of the k2ctl API: a personal access token or a k2ctl session token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.kubeproxy import tokens


class CliTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer" or len(header) != 2:
            return None
        try:
            principal = tokens.authenticate(header[1].decode(errors="replace"))
        except tokens.Unauthenticated as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        request.k2_token = principal.token
        request.k2_principal = principal
        return principal.user, principal.token

    def authenticate_header(self, request):
        return self.keyword


class CliTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.kubeproxy.api.authentication.CliTokenAuthentication"
    name = "k2ctlToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal access token (k2p_…) or a k2ctl session token (k2s_…)."}  # fmt: skip
