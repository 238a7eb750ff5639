"""Forms of the admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp


class CreateUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(max=64),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Letters, digits and _ . @ - only."))])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "new-password"})
    role = SelectField(_l("Role"), choices=[SelectChoice("user", _l("User")), SelectChoice("admin", _l("Administrator"))])
    submit = SubmitField(_l("Create user"))


class SettingsForm(FlaskForm):
    allow_private_urls = BooleanField(_l("Allow model base URLs on private and loopback addresses"))
    submit = SubmitField(_l("Save settings"))
