"""Engines behind one small interface (see base.py): evalscope (accuracy, perf) and OpenCompass."""
