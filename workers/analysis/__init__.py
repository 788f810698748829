"""The heuristics: pure functions on numpy volumes that know nothing of DICOM, Redis or Celery."""
