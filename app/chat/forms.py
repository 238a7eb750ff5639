"""Forms of the chat pages (messages and settings travel as JSON from static/js/chat.js)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.models.chat import CHOICES
from app.services.conversations import MAX_REASON


class RenameForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Rename"))


class ArenaForm(FlaskForm):
    """A blind battle: how many models, and the ones picked (the rest drawn at random)."""

    count = RadioField(_l("Models in the battle"), choices=[SelectChoice("2", "2"), SelectChoice("3", "3")], default="2")
    models = SelectMultipleField(_l("Models"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Start the battle"))


class VoteForm(FlaskForm):
    """The vote of an arena battle: which answer is better, and why (optional)."""

    choice = RadioField(_l("Which answer is better?"), choices=[SelectChoice(c, c) for c in CHOICES],
                        validators=[InputRequired(_l("Choose an answer, tie or all bad."))])
    reason = StringField(_l("Why? (optional)"), validators=[Optional(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Vote and reveal the models"))
