"""Forms of the dataset pages. Row rules live in app/services/datasets/formats.py, shared with uploads and the API."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.services.datasets.formats import FORMAT_FIELDS, LETTERS, MAPPABLE, Mapping

FORMAT_CHOICES = [SelectChoice("mcq", _l("Multiple choice (MCQ)")), SelectChoice("qa", _l("Question answering (QA)"))]


class UploadForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="mcq")
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    file = FileField(_l("File (JSONL, JSON array, CSV or XLSX)"), validators=[FileRequired()],
                     render_kw={"accept": ".jsonl,.ndjson,.json,.csv,.tsv,.xlsx"})
    subset = StringField(_l("Subset of rows without a subset column"), default="default",
                         validators=[Optional(), Length(max=128)])
    split = StringField(_l("Split of rows without a split column"), default="test",
                        validators=[Optional(), Length(max=64)])
    question_column = StringField(_l("Question column"), validators=[Optional(), Length(max=128)],
                                  render_kw={"placeholder": _l("auto: question, query, prompt…")})
    answer_column = StringField(_l("Answer column"), validators=[Optional(), Length(max=128)],
                                render_kw={"placeholder": _l("auto: answer, response, reference…")})
    id_column = StringField(_l("Id column"), validators=[Optional(), Length(max=128)],
                            render_kw={"placeholder": _l("auto: id; else the line number")})
    subset_column = StringField(_l("Subset column"), validators=[Optional(), Length(max=128)],
                                render_kw={"placeholder": _l("auto: subset, subject, category")})
    split_column = StringField(_l("Split column"), validators=[Optional(), Length(max=128)],
                               render_kw={"placeholder": _l("auto: split")})
    system = BooleanField(_l("System dataset (visible to every user)"))
    submit = SubmitField(_l("Upload"))

    def mapping(self) -> Mapping:
        """The column mapping and defaults chosen in the form."""
        columns = {f: getattr(self, f"{f}_column").data or "" for f in MAPPABLE}
        return Mapping(self.format.data, columns, default_subset=(self.subset.data or "").strip() or "default",
                       default_split=(self.split.data or "").strip() or "test")


class RowForm(FlaskForm):
    """One row of either format; the template shows the fields of the dataset's format."""

    id = StringField(_l("Id"), validators=[Optional(), Length(max=128)],
                     render_kw={"placeholder": _l("blank: the row number")})
    subset = StringField(_l("Subset"), validators=[DataRequired(), Length(max=128)])
    split = StringField(_l("Split"), validators=[DataRequired(), Length(max=64)])
    question = TextAreaField(_l("Question"), validators=[DataRequired()], render_kw={"rows": 4})
    answer = TextAreaField(_l("Answer"), validators=[DataRequired()], render_kw={"rows": 2})
    explanation = TextAreaField(_l("Explanation"), render_kw={"rows": 2})
    system = TextAreaField(_l("System prompt"), render_kw={"rows": 2})
    context = TextAreaField(_l("Context"), render_kw={"rows": 3})
    alternatives = TextAreaField(_l("Other accepted answers (one per line)"), render_kw={"rows": 2})
    next = HiddenField()
    submit = SubmitField(_l("Save row"))

    def values(self, fmt: str) -> dict:
        """The row as the service takes it: the fields of ``fmt`` plus id, subset and split."""
        fields = ("id", "subset", "split", *FORMAT_FIELDS[fmt])
        return {f: getattr(self, f).data or "" for f in fields}

    def fill(self, record: dict) -> None:
        """Put a stored record into the fields (GET of the edit page)."""
        for name, value in record.items():
            if name in self._fields:
                self[name].data = "\n".join(value) if isinstance(value, list) else value


for _letter in LETTERS:
    setattr(RowForm, _letter, StringField(_l("Option %(letter)s", letter=_letter),
                                          validators=[Optional(), Length(max=10000)]))


class RenameSubsetForm(FlaskForm):
    old = HiddenField(validators=[DataRequired()])
    new = StringField(_l("New name"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("Rename"))
