"""The worklist API and the radiologists' page: ``spinetriage api``."""
