"""Reading a sagittal MR series: the canal followed and straightened, vertebral segments named
from an anchor, epidural masses found and graded (Bilsky). ``read_sagittal_mr`` is the entry."""

from workers.analysis.sagittal_mr.reader import read_sagittal_mr

__all__ = ["read_sagittal_mr"]
