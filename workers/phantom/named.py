"""The three clinical cases this product comes from, as phantoms:

- ``lung_ca_c5_t2``: lung cancer; posterior extradural mass C5-T2, 6.5 mm thick, and a 25 mm
  prevertebral mass from the mid thoracic to the lumbar spine; two sagittal stations.
- ``thalassemia_t3_t8``: lobulated extradural masses T3-T8 compressing the cord at T4-T7, with
  bilateral paraspinal masses (extramedullary hematopoiesis); red marrow; two stations.
- ``sickle_t4_t6``: a child with sickle-cell anemia; extradural mass T4-T6 with a left
  paravertebral mass.

Each has a field of view with an anchor (the skull base) so that its levels can be counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from spinetriage.triage import BilskyGrade
from workers.phantom import content, protocols
from workers.phantom.anatomy import SEGMENTS, draw_spine
from workers.phantom.case_spec import CaseSpec
from workers.phantom.geometry import Geometry
from workers.phantom.masses import EpiduralMass, Lobe
from workers.phantom.mix import Drawn
from workers.phantom.phantom import Contents
from workers.phantom.scanners import Scanner, draw_patient, draw_scanner
from workers.phantom.spine import Spine

STATION_HEIGHT_MM = 400.0
END_INSET_MM = 4.5  # a mass's nominal ends sit this far inside its first and last level


def _at(name: str) -> int:
    return SEGMENTS.index(name)


def _span(spine: Spine, first: str, last: str) -> tuple[float, float]:
    """Nominal ends of a mass covering first..last (body of first to the disc below last)."""
    return spine.top[_at(first)] + END_INSET_MM, spine.top[_at(last) + 1] - END_INSET_MM


def _stations(rng: np.random.Generator, spine: Spine, centres: tuple[str, ...]) -> list[Geometry]:
    return [
        protocols.sagittal_station(rng, spine, float(spine.mid[_at(c)]), STATION_HEIGHT_MM)
        for c in centres
    ]


def _case(
    name: str,
    seed: int,
    rng: np.random.Generator,
    *,
    spine: Spine,
    stations: list[Geometry],
    drawn: Drawn,
    age: int,
    focus: str,
) -> CaseSpec:
    scanner: Scanner = draw_scanner(rng, "MR")
    axial = protocols.axial_block(rng, spine, float(spine.mid[_at(focus)]))
    plans = protocols.mr_series(rng, scanner, stations, axial, snr_scale=1.0, transfer="explicit")
    return CaseSpec(
        case_id=name,
        seed=seed,
        modality="MR",
        field_of_view="cervicothoracic",
        spine=spine.spec,
        contents=Contents(
            epidural=tuple(drawn.epidural),
            blobs=tuple(drawn.blobs),
            roots=content.cauda_roots(rng),
        ),
        distractors=(),
        series=tuple(plans),
        scanner=scanner,
        patient=draw_patient(rng, age),
        study_description="MR WHOLE SPINE" if len(stations) > 1 else "MR SPINE",
    )


def lung_ca_c5_t2() -> CaseSpec:
    """Lung cancer: posterior extradural mass C5-T2 (6.5 mm), 25 mm prevertebral mass T7-L2."""
    seed = 910001
    rng = np.random.default_rng(seed)
    spine = Spine(draw_spine(rng))
    top, bottom = _span(spine, "C5", "T2")
    mass = EpiduralMass(
        top,
        bottom,
        6.5,
        center_deg=0.0,
        half_width_deg=70.0,
        tissue="metastasis",
        lobes=(Lobe((top + bottom) / 2, 18.0, 1.0),),
    )
    drawn = Drawn(epidural=[mass])
    drawn.blobs.append(content.prevertebral_blob(rng, spine, _at("T7"), _at("L2"), 25.0))
    stations = _stations(rng, spine, ("C7", "T12"))
    return _case(
        "lung_ca_c5_t2", seed, rng, spine=spine, stations=stations, drawn=drawn, age=64, focus="C7"
    )


def _compressing(spine: Spine, shapes: list[EpiduralMass]) -> EpiduralMass:
    """The first shape that some thickness makes compress the cord (Bilsky 2, else 3)."""
    grades: tuple[BilskyGrade, ...] = ("2", "3")
    for grade in grades:
        for shape in shapes:
            mass = content.aim_thickness(spine, shape, grade)
            if mass is not None:
                return mass
    raise RuntimeError("no thickness of these shapes compresses the cord")


def thalassemia_t3_t8() -> CaseSpec:
    """Thalassemia: lobulated extradural masses T3-T8 compressing the cord, paraspinal masses."""
    seed = 910002
    rng = np.random.default_rng(seed)
    spine = Spine(replace(draw_spine(rng), marrow_fat=0.12))
    top, bottom = _span(spine, "T3", "T8")
    lobes = tuple(Lobe(float(spine.mid[_at(n)]), 12.0, 1.0) for n in ("T4", "T5", "T6", "T7"))
    mass = _compressing(
        spine,
        [
            EpiduralMass(top, bottom, 1.0, 0.0, half, "emh", lobes=lobes)
            for half in (75.0, 85.0, 120.0)
        ],
    )
    drawn = Drawn(epidural=[mass])
    drawn.blobs.append(
        content.paraspinal_blob(rng, spine, _at("T3"), _at("T8"), sides=(1, -1), tissue="emh")
    )
    stations = _stations(rng, spine, ("C7", "T12"))
    return _case(
        "thalassemia_t3_t8",
        seed,
        rng,
        spine=spine,
        stations=stations,
        drawn=drawn,
        age=24,
        focus="T5",
    )


def sickle_t4_t6() -> CaseSpec:
    """Child with sickle-cell anemia: extradural mass T4-T6, left paravertebral mass."""
    seed = 910003
    rng = np.random.default_rng(seed)
    spine = Spine(draw_spine(rng, child=True))
    top, bottom = _span(spine, "T4", "T6")
    shape = EpiduralMass(
        top, bottom, 1.0, 15.0, 80.0, "emh", lobes=(Lobe(float(spine.mid[_at("T5")]), 14.0, 1.0),)
    )
    mass = content.aim_thickness(spine, shape, "1c")
    if mass is None:
        raise RuntimeError("sickle_t4_t6: no thickness reaches the cord")
    drawn = Drawn(epidural=[mass])
    drawn.blobs.append(
        content.paraspinal_blob(rng, spine, _at("T4"), _at("T6"), sides=(1,), tissue="emh")
    )
    stations = _stations(rng, spine, ("T2",))
    return _case(
        "sickle_t4_t6", seed, rng, spine=spine, stations=stations, drawn=drawn, age=11, focus="T5"
    )


NAMED_CASES: dict[str, Callable[[], CaseSpec]] = {
    "lung_ca_c5_t2": lung_ca_c5_t2,
    "thalassemia_t3_t8": thalassemia_t3_t8,
    "sickle_t4_t6": sickle_t4_t6,
}


def named_case(name: str) -> CaseSpec:
    try:
        return NAMED_CASES[name]()
    except KeyError:
        raise ValueError(f"name: {name!r} is not a named case ({', '.join(NAMED_CASES)})") from None
