"""The DICOM listener: Verification and Storage SCP that spools instances and finds complete
studies."""
