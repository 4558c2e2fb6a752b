"""View decorators shared by the portal apps."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def user_passes_test_or_403(test):
    """Like Django's user_passes_test, but a signed-in user who fails gets 403, not a login loop."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
