"""Judges you can check: re-judge stored answers (``rejudge``), human labels and judge–human agreement
(``labels``)."""
