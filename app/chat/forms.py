"""Forms of the chat pages (messages and settings travel as JSON from static/js/chat.js)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class RenameForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Rename"))
