"""Errors of the operations app that the API renders with their own status code."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class OperationConflict(APIException):
    """The operation is not in a state that allows this (409); the message says which."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The operation changed meanwhile; reload it and try again.")
    default_code = "conflict"
