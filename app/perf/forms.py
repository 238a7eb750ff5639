"""The new-benchmark form. Field rules live in app/services/perf.validate, shared with the API."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from app.services.perf import DEFAULTS

FIELDS = ("endpoint_id", "prompt_source", "dataset_id", "prompt_length", "concurrency", "number", "rate",
          "max_tokens", "stream", "temperature", "timeout_minutes", "sleep_interval")


def _number(**attrs):
    return {"type": "number", **attrs}


class PerfForm(FlaskForm):
    endpoint_id = SelectField(_l("Model"), choices=[], validate_choice=False)
    prompt_source = SelectField(_l("Prompts"), default="synthetic", validate_choice=False, choices=[
        SelectChoice("synthetic", _l("Synthetic prompts of a chosen length")),
        SelectChoice("dataset", _l("The questions of a dataset"))])
    dataset_id = SelectField(_l("Dataset"), choices=[], validate_choice=False)
    prompt_length = StringField(_l("Prompt length (words)"), default=str(DEFAULTS["prompt_length"]),
                                render_kw=_number(min=1, max=32768))
    concurrency = StringField(_l("Concurrency levels"), default="1, 4",
                              render_kw={"placeholder": "1, 4, 16", "inputmode": "numeric"})
    number = StringField(_l("Requests per level"), default=str(DEFAULTS["number"][0]),
                         render_kw={"placeholder": "20  or  10, 40, 160"})
    rate = StringField(_l("Request rate limit (req/s)"), render_kw=_number(min=0.01, step="any",
                                                                          placeholder=_l("no limit")))
    max_tokens = StringField(_l("Max tokens"), default=str(DEFAULTS["max_tokens"]), render_kw=_number(min=1))
    stream = BooleanField(_l("Stream the replies (needed for TTFT, TPOT and ITL)"), default=True)
    temperature = StringField(_l("Temperature"), default="0", render_kw=_number(min=0, max=2, step="0.01"))
    timeout_minutes = StringField(_l("Total timeout (minutes)"), default=str(DEFAULTS["timeout_minutes"]),
                                  render_kw=_number(min=1))
    sleep_interval = StringField(_l("Pause between levels (seconds)"), default=str(DEFAULTS["sleep_interval"]),
                                 render_kw=_number(min=0, max=600))
    submit = SubmitField(_l("Start benchmark"))

    def values(self) -> dict:
        """Raw values for the service."""
        return {name: getattr(self, name).data for name in FIELDS}

    def fill(self, params: dict, endpoint_id: int | None) -> None:
        """Pre-fill from an earlier run's ``params`` ("run again")."""
        self.endpoint_id.data = str(endpoint_id or "")
        self.prompt_source.data = params.get("prompt_source", "synthetic")
        self.dataset_id.data = str(params.get("dataset_id") or "")
        self.prompt_length.data = str(params.get("prompt_length") or DEFAULTS["prompt_length"])
        self.concurrency.data = ", ".join(map(str, params.get("concurrency") or []))
        numbers = params.get("number") or []
        self.number.data = str(numbers[0]) if len(set(numbers)) == 1 else ", ".join(map(str, numbers))
        self.rate.data = "" if params.get("rate") is None else str(params["rate"])
        for name in ("max_tokens", "temperature", "timeout_minutes", "sleep_interval"):
            getattr(self, name).data = str(params.get(name, DEFAULTS[name]))
        self.stream.data = bool(params.get("stream", True))
