"""Series a site would acquire for a spine study, laid over this patient's spine: sagittal
stations (T2, T1, sometimes STIR and a post-contrast T1), an optional axial T2 block, a CT
volume, and the odd series studies carry (localizer, screenshot, dose report)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from workers.phantom.anatomy import SEGMENTS
from workers.phantom.case_spec import CtPlan, SeriesPlan, Transfer
from workers.phantom.coverage import body_corners
from workers.phantom.geometry import Geometry, axial_axes, centred, sagittal_axes
from workers.phantom.scanners import CT_KERNELS, MrWeighting, Scanner, description, draw_timing
from workers.phantom.spine import Spine
from workers.phantom.truth import FieldOfView

# Field of view: the segment (fractional index) at the centre, and the sagittal height (mm).
FOV_PLAN: dict[FieldOfView, tuple[tuple[str, str], tuple[float, float]]] = {
    "cervical": (("C3", "C5"), (280.0, 300.0)),
    "cervicothoracic": (("C7", "T2"), (340.0, 400.0)),
    "thoracic": (("T6", "T7"), (330.0, 380.0)),
    "thoracolumbar": (("T12", "L2"), (380.0, 400.0)),
    "lumbar": (("L3", "L5"), (280.0, 320.0)),
}
# CT coverage: from the middle of the first segment to the middle of the last.
CT_COVERAGE: dict[FieldOfView, tuple[str, str]] = {
    "cervical": ("C1", "T3"),
    "cervicothoracic": ("C1", "T6"),
    "thoracic": ("T1", "L1"),
    "thoracolumbar": ("T6", "S3"),
    "lumbar": ("T11", "S4"),
}
CT_SLICES = (200, 300)
CT_SPACINGS_MM = (1.0, 1.25, 1.5, 2.0)
CT_MARGIN_MM = 5.0  # the volume reaches a little beyond the last segment's lowest corner
HEAD_MARGIN_MM = 45.0  # CT coverage of the cervical spine starts in the posterior fossa
ANTERIOR_SHIFT = 0.12  # sagittal FOVs are centred a little in front of the canal
CT_BODY_CENTRE_MM = 55.0  # the CT field is centred on the body, in front of the canal


def fov_centre(rng: np.random.Generator, spine: Spine, fov: FieldOfView) -> float:
    (first, last), _ = FOV_PLAN[fov]
    low, high = SEGMENTS.index(first), SEGMENTS.index(last)
    return float(spine.mid[low] + rng.uniform(0, 1) * (spine.mid[high] - spine.mid[low]))


def sagittal_station(
    rng: np.random.Generator, spine: Spine, centre_s: float, height_mm: float
) -> Geometry:
    matrix = int(rng.choice([512, 512, 512, 384, 448]))
    slices = int(rng.integers(13, 18))
    thickness = float(rng.choice([3.0, 3.0, 3.5, 4.0]))
    spacing = thickness * (rng.uniform(1.1, 1.3) if rng.random() < 0.3 else 1.0)
    oblique = rng.random() < 0.3
    yaw, roll = (rng.normal(0, 3), rng.normal(0, 2)) if oblique else (0.0, 0.0)
    row_dir, col_dir = sagittal_axes(float(yaw), float(roll))
    centre = spine.point(centre_s) + np.array([rng.normal(0, 1.2), -ANTERIOR_SHIFT * height_mm, 0])
    pixel = height_mm / matrix
    return centred(
        centre,
        row_dir,
        col_dir,
        size=(slices, matrix, matrix),
        spacing=(spacing, pixel, pixel),
        thickness_mm=thickness,
    )


def axial_block(rng: np.random.Generator, spine: Spine, centre_s: float) -> Geometry:
    matrix = int(rng.choice([320, 384, 448, 512]))
    fov = float(rng.uniform(180, 240))
    slices = int(rng.integers(20, 41))
    thickness = float(rng.choice([3.5, 4.0]))
    row_dir, col_dir = axial_axes(spine, centre_s)
    centre = spine.point(centre_s) + np.array([0.0, -rng.uniform(10, 30), 0.0])
    return centred(
        centre,
        row_dir,
        col_dir,
        size=(slices, matrix, matrix),
        spacing=(4.0, fov / matrix, fov / matrix),
        thickness_mm=thickness,
    )


def mr_series(
    rng: np.random.Generator,
    scanner: Scanner,
    stations: list[Geometry],
    axial: Geometry | None,
    *,
    snr_scale: float,
    transfer: Transfer,
) -> list[SeriesPlan]:
    """Sagittal series of each station (T2, T1, maybe STIR, maybe post-contrast T1), then
    the axial block; numbered in acquisition order after a possible localizer."""
    weightings = _weightings(rng)
    blocks = [(w, g, i) for i, g in enumerate(stations) for w in weightings]
    if axial is not None:
        blocks.append(("T2", axial, len(stations)))
    plans = [
        _mr_plan(
            rng,
            scanner,
            number,
            weighting,
            geometry=geometry,
            station=station,
            snr_scale=snr_scale,
            transfer=transfer,
        )
        for number, (weighting, geometry, station) in enumerate(blocks, start=2)
    ]
    if rng.random() < 0.15:
        sagittal = [i for i, p in enumerate(plans) if p.plane == "sagittal"]
        chosen = int(rng.choice(sagittal))
        plans[chosen] = _with_enhanced(plans[chosen])
    return plans


def _weightings(rng: np.random.Generator) -> list[MrWeighting]:
    """Sagittal contrasts of a protocol: T2 always, T1 mostly, STIR half the time, and a
    post-contrast T1 now and then (whatever the case holds)."""
    weightings: list[MrWeighting] = ["T2", "T1"] if rng.random() < 0.9 else ["T2"]
    if rng.random() < 0.5:
        weightings.append("STIR")
    if rng.random() < 0.15:
        weightings.append("T1_contrast")
    return weightings


def _mr_plan(
    rng: np.random.Generator,
    scanner: Scanner,
    number: int,
    weighting: MrWeighting,
    *,
    geometry: Geometry,
    station: int,
    snr_scale: float,
    transfer: Transfer,
) -> SeriesPlan:
    axial = abs(geometry.row_dir[0]) > 0.9
    acquired = int(geometry.rows * rng.uniform(0.6, 0.8)) // 2 * 2
    twelve_bit = scanner.vendor != "GE MEDICAL SYSTEMS"
    return SeriesPlan(
        number=number,
        kind="mr",
        description=description(rng, scanner, "axial" if axial else weighting),
        plane="axial" if axial else "sagittal",
        weighting=weighting,
        geometry=geometry,
        station=station,
        acquisition=(acquired, acquired),
        timing=draw_timing(rng, weighting, scanner),
        snr=float(rng.uniform(15, 40) * snr_scale),
        gain=float(rng.uniform(1500, 2800) if twelve_bit else rng.uniform(1000, 4000)),
        bias=float(rng.uniform(0.2, 0.7)),
        bits_stored=12 if twelve_bit else 16,
        rescale_slope=float(np.round(rng.uniform(1.0, 3.0), 5))
        if scanner.vendor == "Philips"
        else None,
        transfer=transfer,
    )


def _with_enhanced(plan: SeriesPlan) -> SeriesPlan:
    return replace(plan, enhanced=True)


def ct_volume(rng: np.random.Generator, spine: Spine, fov: FieldOfView) -> Geometry:
    first, last = (SEGMENTS.index(name) for name in CT_COVERAGE[fov])
    top = spine.mid[first] - (HEAD_MARGIN_MM if first == 0 else 0.0)
    bottom = spine.mid[last]
    z_top = spine.point(top)[2]
    # the sacrum leans back: its bodies' front corners lie well below its canal
    z_bottom = min(float(c[2]) for c in body_corners(spine, last)) - CT_MARGIN_MM
    coverage = z_top - z_bottom
    spacing = min(
        CT_SPACINGS_MM, key=lambda d: abs(np.clip(coverage / d, *CT_SLICES) - coverage / d)
    )
    slices = int(np.clip(round(coverage / spacing), *CT_SLICES))
    pixel = float(np.round(rng.uniform(0.7, 0.9), 4))
    mid = spine.point((top + bottom) / 2)
    centre = np.array(
        [mid[0] + rng.normal(0, 3), mid[1] - CT_BODY_CENTRE_MM, (z_top + z_bottom) / 2]
    )
    thickness = spacing if rng.random() < 0.7 else spacing * 1.25
    # row_dir x col_dir = +z: slice 0 is the lowest, as positions are listed feet to head
    return centred(
        centre,
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        size=(slices, 512, 512),
        spacing=(spacing, pixel, pixel),
        thickness_mm=thickness,
    )


def ct_plan(rng: np.random.Generator, scanner: Scanner, marrow_fat: float, noisy: bool) -> CtPlan:
    kernel, grain, blur = CT_KERNELS[scanner.vendor][int(rng.integers(0, 3))]
    return CtPlan(
        kernel=kernel,
        noise_hu=float(rng.uniform(35, 55) if noisy else rng.uniform(8, 25)),
        grain_px=grain,
        blur_px=blur,
        signed=bool(rng.random() < 0.3),
        cortical_hu=float(rng.uniform(700, 1500) - 200 * marrow_fat),
        kvp=float(rng.choice([100.0, 120.0, 120.0, 140.0])),
        tube_ma=float(np.round(rng.uniform(120, 400))),
    )


def odd_series(rng: np.random.Generator, scanner: Scanner, main: SeriesPlan) -> list[SeriesPlan]:
    """Series a loader must skip: a localizer (MR three-plane, CT scout), a screenshot, a CT
    dose report. Localizers come first (series 1), the others last."""
    ct = main.kind == "ct"
    odd: list[SeriesPlan] = []
    if rng.random() < (0.5 if ct else 0.3):
        odd.append(
            SeriesPlan(
                number=1,
                kind="ct_localizer" if ct else "mr_localizer",
                description="Topogram  1.0  T20s" if ct else description(rng, scanner, "localizer"),
                plane="sagittal" if ct else "oblique",
                weighting="unknown",
                transfer=main.transfer,
            )
        )
    if rng.random() < 0.1:
        odd.append(
            SeriesPlan(
                number=99, kind="screenshot", description="", plane="oblique", weighting="unknown"
            )
        )
    if ct and rng.random() < 0.4:
        odd.append(
            SeriesPlan(
                number=997,
                kind="dose_report",
                description="Dose Report",
                plane="oblique",
                weighting="unknown",
            )
        )
    return odd
