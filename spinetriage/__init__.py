"""spinetriage's shared package: settings, logging, metrics, the Redis key owner and the study
index. It imports neither ``services`` nor ``workers``."""

__version__ = "0.1.0"
