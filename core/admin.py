"""Generic admin machinery every app's admin builds on (no app's models here).

- ``ReadOnlyAdminMixin``: rows written only by services (no add, change or delete in the admin);
- ``ServiceAdminMixin``: admin saves that call services; a refusal re-renders the form with the errors
  (the attempt rolled back) instead of a 500;
- ``ActionFormMixin``: the intermediate page of an admin action (``action_form_step``), one-time form
  submissions (``submission_field`` renders the token, ``claim_submission`` accepts each rendered form once
  through the app's claim service, e.g. ``tenants.services.form_submission_claim``) and error reporting;
- ``error_messages`` / ``error_text``: a service error as (field, message) pairs or one line, never a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ActionLocation, helpers
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.errors import ApplicationError

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _AdminBase = ModelAdmin[Any]
    _FormBase = forms.Form
else:
    _AdminBase = object
    _FormBase = object

SERVICE_ERRORS = (DjangoValidationError, ApplicationError)
BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

ErrorPairs = list[tuple[str | None, str]]


def actor_of(request: HttpRequest) -> str:
    """The audit actor string of the admin user behind ``request`` (for services that take a string)."""
    return f"admin:{request.user.get_username()}"


# ----------------------------------------------------------------- errors --


def error_messages(exc: Exception) -> ErrorPairs:
    """(field or None, message) pairs of a service error; ApplicationError messages never hold a secret."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [
                (None if name == NON_FIELD_ERRORS else name, message)
                for name, msgs in exc.message_dict.items()
                for message in msgs
            ]
        return [(None, message) for message in exc.messages]
    if isinstance(exc, ApplicationError):
        return [(None, exc.message)]
    return [(None, str(exc))]


def error_text(exc: Exception) -> str:
    return "; ".join(f"{name}: {msg}" if name else msg for name, msg in error_messages(exc))


# -------------------------------------------------------------- read-only --


class ReadOnlyAdminMixin(_AdminBase):
    """Rows written only by services: no add, change or delete in the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --------------------------------------------------- saves through services --


class ServiceRejected(Exception):
    """A service refused a write during an admin save: roll back and show the form again with the errors."""

    def __init__(self, errors: ErrorPairs):
        super().__init__("service rejected the change")
        self.errors = errors


class ServiceErrorsFormMixin(_FormBase):
    """Adds errors a service raised on the previous attempt (see ServiceAdminMixin.changeform_view)."""

    service_errors: ErrorPairs = []

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        for name, message in self.service_errors:
            self.add_error(name if name in self.fields else None, message)
        return cleaned


class ServiceAdminMixin(_AdminBase):
    """Admin saves that call services; a refusal re-renders the form with the errors instead of a 500.

    ``changeform_view`` runs in a transaction: when a service raises during the
    save, the whole attempt is rolled back (nothing half-written) and the view
    runs once more with the service's errors added by the form's ``clean()``.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as exc:
            request.hub_service_errors = exc.errors  # type: ignore[attr-defined]
            request.hub_issued = None  # type: ignore[attr-defined]  # rolled back: nothing was issued
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        errors = getattr(request, "hub_service_errors", None)
        if errors:
            form = type(form.__name__, (ServiceErrorsFormMixin, form), {"service_errors": errors})
        return form

    def call_service(self, func: Callable[..., Any], *, label: str = "", **kwargs: Any) -> Any:
        try:
            return func(**kwargs)
        except SERVICE_ERRORS as exc:
            errors = error_messages(exc) or [(None, "The change was refused.")]
            if label:
                errors = [(None, f"{label}: {name + ': ' if name else ''}{msg}") for name, msg in errors]
            raise ServiceRejected(errors) from exc

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def sync_instance(target: Model, saved: Model) -> None:
    """Make the admin's in-memory instance the row a service saved (pk included)."""
    for f in type(saved)._meta.concrete_fields:
        setattr(target, f.attname, getattr(saved, f.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# ------------------------------------------------- actions, one-time forms --


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


def submission_field(*, required: bool = True) -> forms.CharField:
    """A hidden one-time token: the view accepts each rendered form once (``ActionFormMixin.claim_submission``)."""
    return forms.CharField(widget=forms.HiddenInput, initial=new_submission_token, max_length=64, required=required)


class ActionFormMixin(_AdminBase):
    """An admin action's intermediate page, one-time submissions and per-row failure messages.

    Set ``action_form_template`` (the page) and ``submission_claim`` (the service that accepts a token once,
    ``func(*, token, actor)``, raising a service error for a token it has seen) on the admin class.
    """

    action_form_template: str = ""
    action_form_prefix: str = "action"
    submission_claim: Callable[..., None] | None = None

    def action_form_step(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        form_class: type[forms.Form],
        *,
        action: str,
        title: str,
        intro: str = "",
        form_kwargs: dict[str, Any] | None = None,
    ) -> tuple[forms.Form, TemplateResponse | None]:
        """Intermediate page of an action: (valid form, None) once submitted, else (the form, the page showing it)."""
        form_kwargs = {"prefix": self.action_form_prefix, **(form_kwargs or {})}
        if "apply" in request.POST:
            form = form_class(request.POST, **form_kwargs)
            if form.is_valid():
                return form, None
        else:
            form = form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "intro": intro,
            "form": form,
            "queryset": queryset,
            "action": action,
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return form, TemplateResponse(request, self.action_form_template, context)

    def claim_submission(self, request: HttpRequest, form: forms.Form) -> bool:
        """False (with the reason shown) when this action form was submitted before, e.g. by a refresh."""
        claim = type(self).submission_claim
        if claim is None:
            raise ImproperlyConfigured(f"{type(self).__name__}.submission_claim is not set")
        try:
            claim(token=form.cleaned_data.get("submission") or "", actor=request.user)
        except SERVICE_ERRORS as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return False
        return True

    def report_failure(self, request: HttpRequest, obj: object, exc: Exception) -> None:
        self.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)
