"""Nothing in the DICOM files gives the answer away: no private tags, and no value that names
the case, its findings, its levels, its distractors or its seed."""

from __future__ import annotations

from collections.abc import Iterator

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from spinetriage.levels import EN_DASH
from tests.workers.phantom.conftest import Written

ANSWER_WORDS = (
    "mass",
    "compress",
    "bilsky",
    "epidural",
    "paraspinal",
    "prevertebral",
    "paravertebral",
    "metasta",
    "hematopoie",
    "emh",
    "hemangioma",
    "thalass",
    "sickle",
    "lung",
    "distractor",
    "narrow",
    "bulge",
    "phantom",
    "synthetic",
    "truth",
    "grade",
    "stenosis",
    "tumour",
    "tumor",
    "cervicothoracic",
    "thoracolumbar",
    "thoracic",
    "lumbar",
    "cervical",
    "anchor",
)
SKIPPED_KEYWORDS = {"PixelData"}


def _elements(ds: Dataset) -> Iterator[DataElement]:
    for element in ds:
        yield element
        if element.VR == "SQ":
            for item in element.value:
                yield from _elements(item)


def _forbidden(case: Written) -> list[str]:
    truth = case.truth
    words = [*ANSWER_WORDS, truth.case_id.lower(), str(truth.seed)]
    for f in truth.findings:
        words += [
            f"{f.from_level}-{f.to_level}".lower(),
            f"{f.from_level}{EN_DASH}{f.to_level}".lower(),
        ]
        words += [f"{f.from_level} to {f.to_level}".lower(), f.type.replace("_", " ")]
    return words


def test_no_tag_value_reveals_the_case(written: list[Written]) -> None:
    """Walking every element, sequences included, finds no private tag and no value containing
    a word of the answer, the case id, the seed or a finding's level span."""
    for case in written:
        forbidden = _forbidden(case)
        for path in case.files:
            ds = pydicom.dcmread(path)
            for element in [*_elements(ds.file_meta), *_elements(ds)]:
                assert not element.tag.is_private, f"{path.name}: private tag {element.tag}"
                if element.keyword in SKIPPED_KEYWORDS or element.VR == "SQ":
                    continue
                text = str(element.value).lower()
                leaked = [w for w in forbidden if w in text]
                assert not leaked, f"{path.name} {element.keyword}={element.value!r}: {leaked}"


def test_file_names_say_nothing_either(written: list[Written]) -> None:
    """File names are opaque: no case id, seed or series description in them."""
    for case in written:
        for path in case.files:
            assert case.truth.case_id not in path.name
            assert str(case.truth.seed) not in path.name
