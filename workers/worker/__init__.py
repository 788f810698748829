"""The Celery worker: takes a complete study's ID off the ``triage`` queue, analyses the study's
folder in the spool and records the outcome, with a key image per finding, on the worklist.

``app.create_celery_app`` builds the app, ``task`` holds the task, ``study_run`` what one run
does, ``main`` is ``spinetriage worker``."""
