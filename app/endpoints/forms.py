"""The model form. Field rules live in app/services/endpoints.validate, shared with the API."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired


class ModelForm(FlaskForm):
    name = StringField(_l("Display name"), validators=[DataRequired()], render_kw={"maxlength": 128})
    base_url = StringField(_l("Base URL"), validators=[DataRequired()],
                           render_kw={"placeholder": "https://api.example.com/v1", "type": "url"})
    model_name = StringField(_l("Model name"), validators=[DataRequired()],
                             render_kw={"placeholder": "gpt-4o-mini", "maxlength": 191})
    api_key = PasswordField(_l("API key"), render_kw={"autocomplete": "off"})
    clear_api_key = BooleanField(_l("Remove the stored API key"))
    temperature = StringField(_l("Default temperature"),
                              render_kw={"type": "number", "step": "0.01", "min": 0, "max": 2})
    max_tokens = StringField(_l("Default max tokens"), render_kw={"type": "number", "min": 1})
    top_p = StringField(_l("Default top_p"), render_kw={"type": "number", "step": "0.01", "min": 0, "max": 1})
    extra_body = TextAreaField(_l("Extra JSON body"), render_kw={"rows": 3, "placeholder": '{"top_k": 20}'})
    max_concurrency = StringField(_l("Concurrency limit"), default="4",
                                  render_kw={"type": "number", "min": 1, "max": 512})
    price_input_per_m = StringField(_l("Price per million input tokens"),
                                    render_kw={"type": "number", "step": "any", "min": 0, "inputmode": "decimal"})
    price_output_per_m = StringField(_l("Price per million output tokens"),
                                     render_kw={"type": "number", "step": "any", "min": 0, "inputmode": "decimal"})
    judge = BooleanField(_l("May serve as a judge model"))
    system = BooleanField(_l("System model (visible to every user)"))
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2})
    submit = SubmitField(_l("Save"))

    def values(self, keep_key: bool) -> dict:
        """Raw values for the service; a blank key field keeps the stored key unless removal is ticked."""
        from app.services.endpoints import FIELDS, KEEP
        data = {f: getattr(self, f).data for f in FIELDS if f != "api_key"}
        if self.clear_api_key.data:
            data["api_key"] = None
        elif self.api_key.data:
            data["api_key"] = self.api_key.data
        elif keep_key:
            data["api_key"] = KEEP
        return data
