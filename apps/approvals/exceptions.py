"""Errors of the approval engine that the API renders with their own status code."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class ApprovalConflict(APIException):
    """The request is no longer in a state that allows this (decided, or decided by you)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This request changed meanwhile; reload it and try again.")
    default_code = "conflict"
