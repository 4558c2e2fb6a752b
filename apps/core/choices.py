"""The base of every enum that is shown as a badge: value, badge colour and label together.

As NetBox's ChoiceSet, one line says what a state is called and what it looks like, so the
templates (`bg-{{ obj.state_enum.colour }}-lt`) and the API (`state_colour`) agree:

    class PassStatus(ColourChoices):
        RUNNING = "running", "azure", _("Running")
        SKIPPED = "skipped", _("Skipped")            # no colour given: "secondary"
"""

from django.db import models


class ColourChoices(models.TextChoices):
    colour: str

    def __new__(cls, value: str, colour: str = "secondary"):
        member = str.__new__(cls, value)
        member._value_ = value
        member.colour = colour
        return member
