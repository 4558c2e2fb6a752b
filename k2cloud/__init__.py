"""K2Cloud control plane project package."""

from k2cloud.celery import app as celery_app

__all__ = ["celery_app"]
