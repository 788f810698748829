"""The DICOM loader: a study folder in, geometrically correct volumes out.

``load_study(folder)`` reads every file's header, groups files into series, classifies each
series (plane, weighting, or why it is skipped) and decodes the pixels of those that form a
regular stack into a float32 ``Volume`` in patient coordinates. It is the one module of the
project that touches pydicom pixel data; the heuristics get numpy arrays and geometry."""

from workers.loading.errors import LoaderError
from workers.loading.study import LOADED, NOT_WANTED, LoadedSeries, LoadedStudy, Wanted, load_study

__all__ = [
    "LOADED",
    "NOT_WANTED",
    "LoadedSeries",
    "LoadedStudy",
    "LoaderError",
    "Wanted",
    "load_study",
]
