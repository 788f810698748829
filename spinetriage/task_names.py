"""Names shared by whoever sends a task and whoever runs it; tasks are sent by name."""

ANALYZE_STUDY = "analyze_study"
TRIAGE_QUEUE = "triage"
