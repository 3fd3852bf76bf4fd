"""One error shape for the whole API: {"code", "detail", "errors": {field: [messages]}}.

DRF validation errors, model `clean()` errors (Django ValidationError) and service refusals
(ServiceError) all come out this way, so a client always learns which field to fix.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..services import ServiceError

# Service refusal codes that are about who is asking, or about the incident's state.
FORBIDDEN_CODES = {"not_allowed", "not_a_member"}
CONFLICT_CODES = {"transition_not_allowed", "conflict"}


def service_status(code):
    if code in FORBIDDEN_CODES:
        return status.HTTP_403_FORBIDDEN
    if code in CONFLICT_CODES:
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def django_errors(exc):
    """A Django ValidationError as {field: [messages]} (non-field ones under __all__)."""
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        body = {"code": exc.code, "detail": exc.message, "errors": {}}
        return Response(body, status=service_status(exc.code))
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        response.data = {
            "code": "invalid",
            "detail": _("Some fields need fixing; see errors."),
            "errors": errors,
        }
    else:
        codes = exc.get_codes()
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(getattr(exc, "detail", exc)),
            "errors": {},
        }
    return response
