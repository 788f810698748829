"""Celery workers: the analysis task, DICOM loading and the heuristics."""
