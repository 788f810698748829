"""Long-running processes: the DICOM listener and the worklist API."""
