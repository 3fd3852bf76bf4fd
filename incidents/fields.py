"""Model fields shared by the incident models."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


class ChoiceListField(models.JSONField):
    """A list of values from a fixed set of choices, stored as a JSON array.

    Works the same on SpatiaLite and PostGIS (unlike ArrayField), validates every item
    against the choices, and shows up in forms and the admin as a set of checkboxes.
    """

    def __init__(self, *args, item_choices=(), **kwargs):
        self.item_choices = list(item_choices)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["item_choices"] = self.item_choices
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise ValidationError(
                "Give a list of values.", code="invalid_list", params={"value": value}
            )
        allowed = {key for key, _ in self.item_choices}
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ValidationError(
                "Unknown value(s): %(unknown)s. Choose from: %(allowed)s.",
                code="invalid_choice",
                params={
                    "unknown": ", ".join(map(str, unknown)),
                    "allowed": ", ".join(key for key, _ in self.item_choices),
                },
            )
        if len(set(value)) != len(value):
            raise ValidationError("Each value may appear only once.", code="duplicate")

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.item_choices,
            "widget": forms.CheckboxSelectMultiple,
            "required": not self.blank,
            "show_hidden_initial": False,
        }
        defaults.update(kwargs)
        # JSONField.formfield would force its own form class; go straight to Field.formfield.
        return models.Field.formfield(self, **defaults)
