"""ASGI entry point served by daphne: HTTP through Django, websockets through Channels."""

import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import OriginValidator
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from apps.kubeproxy.proxy import KubeProxy, mount  # noqa: E402  (needs Django set up)
from k2cloud.routing import websocket_urlpatterns  # noqa: E402  (needs Django set up)


def websocket_origins() -> list[str]:
    """Where a websocket may be opened from: the hosts of ALLOWED_HOSTS (localhost too in
    DEBUG when none is set) and the CSRF_TRUSTED_ORIGINS, as for a form post. A browser
    always sends Origin; a request without one, or from any other page, is refused."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return hosts + list(settings.CSRF_TRUSTED_ORIGINS)


# /k8s/ is the Kubernetes proxy (apps/kubeproxy): kubectl sends a bearer token and no
# Origin, so it sits in front of the browser stack's origin check and session middleware.
proxy = KubeProxy()
application = ProtocolTypeRouter(
    {
        "http": mount(proxy, django_asgi_app),
        "websocket": mount(
            proxy,
            OriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), websocket_origins()
            ),
        ),
    }
)
