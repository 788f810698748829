"""``case_for(seed)``: a whole synthetic case drawn from one seed, deterministically.

About 75% MR and 25% CT; 35% negative (half of them with distractors), 15% with a paraspinal
or prevertebral mass only, 50% with an epidural mass (see ``mix``)."""

from __future__ import annotations

import numpy as np

from workers.phantom import mix, protocols
from workers.phantom.anatomy import SpineSpec, draw_spine, with_narrow_canal
from workers.phantom.case_spec import CaseSpec, CtPlan, SeriesPlan, Transfer
from workers.phantom.content import cauda_roots
from workers.phantom.coverage import segments_in_view
from workers.phantom.geometry import Geometry
from workers.phantom.phantom import Contents
from workers.phantom.scanners import STUDY_DESCRIPTIONS, Scanner, draw_patient, draw_scanner
from workers.phantom.spine import Spine
from workers.phantom.truth import Distractor, FieldOfView

MR_SHARE = 0.75
CATEGORIES = (("negative", 0.35), ("outside", 0.15), ("epidural", 0.5))
FOV_SHARES: dict[FieldOfView, float] = {
    "cervical": 0.2,
    "cervicothoracic": 0.15,
    "thoracic": 0.25,
    "thoracolumbar": 0.2,
    "lumbar": 0.2,
}
MR_DISTRACTORS: tuple[Distractor, ...] = (
    "disc_bulge",
    "narrow_canal",
    "hemangioma",
    "low_snr",
    "flow_artefact",
)
CT_DISTRACTORS: tuple[Distractor, ...] = ("disc_bulge", "narrow_canal", "hemangioma", "low_snr")
LOW_SNR_SCALE = (0.18, 0.3)  # a low-SNR study is this much noisier than usual
TRANSFERS: tuple[tuple[Transfer, float], ...] = (
    ("explicit", 0.7),
    ("implicit", 0.1),
    ("rle", 0.12),
    ("j2k", 0.08),
)
NARROW_RUN = (6, 12)  # segments a congenitally narrow canal spans
EXTRA_DISTRACTORS: tuple[tuple[Distractor, float], ...] = (
    ("flow_artefact", 0.15),  # positives carry distractors too, so that they do not tell
    ("disc_bulge", 0.1),
    ("low_snr", 0.08),
)
AXIAL_SHARE = 0.45  # MR studies with an axial T2 block (around the lesion, or any levels)


def case_for(seed: int) -> CaseSpec:
    rng = np.random.default_rng(seed)
    modality = "MR" if rng.random() < MR_SHARE else "CT"
    fovs = list(FOV_SHARES)
    fov: FieldOfView = fovs[int(rng.choice(len(fovs), p=list(FOV_SHARES.values())))]
    category = str(rng.choice([c for c, _ in CATEGORIES], p=[p for _, p in CATEGORIES]))
    age = int(rng.integers(8, 16)) if rng.random() < 0.05 else int(rng.integers(25, 90))
    spec = draw_spine(rng, child=age < 16)
    spine = Spine(spec)
    views = _views(rng, spine, modality, fov)
    in_view = segments_in_view(spine, views)
    drawn = mix.Drawn()
    if category == "epidural":
        mix.epidural_case(rng, spine, in_view, drawn)
    elif category == "outside":
        mix.outside_case(rng, spine, in_view, drawn)
    for kind in _distractors(rng, modality, category):
        if kind == "narrow_canal":
            spec = _narrow(rng, spec, in_view)
            drawn.distractors.append(kind)
        elif kind != "low_snr":
            mix.add_distractor(rng, Spine(spec), in_view, drawn, kind)
        else:
            drawn.distractors.append(kind)
    return _assemble(
        rng,
        seed=seed,
        case_id=f"case-{seed:06d}",
        modality=modality,
        fov=fov,
        spec=spec,
        views=views,
        drawn=drawn,
    )


def _views(
    rng: np.random.Generator, spine: Spine, modality: str, fov: FieldOfView
) -> list[Geometry]:
    if modality == "CT":
        return [protocols.ct_volume(rng, spine, fov)]
    _, (low, high) = protocols.FOV_PLAN[fov]
    centre = protocols.fov_centre(rng, spine, fov)
    return [protocols.sagittal_station(rng, spine, centre, float(rng.uniform(low, high)))]


def _distractors(rng: np.random.Generator, modality: str, category: str) -> list[Distractor]:
    pool = MR_DISTRACTORS if modality == "MR" else CT_DISTRACTORS
    if category == "negative":
        if rng.random() < 0.5:
            return []
        count = int(rng.integers(1, 3))
        return [pool[i] for i in rng.choice(len(pool), size=count, replace=False)]
    extras: list[Distractor] = []
    for kind, share in EXTRA_DISTRACTORS:
        if kind in pool and rng.random() < share:
            extras.append(kind)
    return extras


def _narrow(rng: np.random.Generator, spec: SpineSpec, in_view: list[int]) -> SpineSpec:
    upper = [i for i in in_view if 1 <= i <= 18]
    length = min(int(rng.integers(*NARROW_RUN)), len(upper))
    if length == 0:
        return spec
    first = int(rng.integers(upper[0], upper[-1] - length + 2))
    return with_narrow_canal(spec, rng, first, first + length - 1)


def _assemble(
    rng: np.random.Generator,
    *,
    seed: int,
    case_id: str,
    modality: str,
    fov: FieldOfView,
    spec: SpineSpec,
    views: list[Geometry],
    drawn: mix.Drawn,
) -> CaseSpec:
    """Everything else a study needs: roots, scanner, patient, the series to acquire."""
    spine = Spine(spec)
    contents = _contents(rng, drawn)
    scanner = draw_scanner(rng, modality)
    noisy = "low_snr" in drawn.distractors
    transfer = _transfer(rng, modality)
    series, ct = _series(
        rng,
        scanner=scanner,
        spine=spine,
        modality=modality,
        views=views,
        focus=drawn.focus,
        noisy=noisy,
        transfer=transfer,
    )
    return CaseSpec(
        case_id=case_id,
        seed=seed,
        modality="MR" if modality == "MR" else "CT",
        field_of_view=fov,
        spine=spec,
        contents=contents,
        distractors=tuple(dict.fromkeys(drawn.distractors)),
        series=tuple(series),
        scanner=scanner,
        patient=draw_patient(rng, _age(spec)),
        study_description=str(rng.choice(STUDY_DESCRIPTIONS[modality])),
        ct=ct,
    )


def _contents(rng: np.random.Generator, drawn: mix.Drawn) -> Contents:
    return Contents(
        epidural=tuple(drawn.epidural),
        blobs=tuple(drawn.blobs),
        bone_lesions=tuple(drawn.bone_lesions),
        bulges=tuple(drawn.bulges),
        flow_voids=drawn.flow_voids,
        roots=cauda_roots(rng),
    )


def _transfer(rng: np.random.Generator, modality: str) -> Transfer:
    transfer = TRANSFERS[int(rng.choice(len(TRANSFERS), p=[p for _, p in TRANSFERS]))][0]
    if modality == "CT" and transfer == "j2k" and rng.random() < 0.6:
        transfer = "rle"  # JPEG 2000 is slow to encode 250 slices; sites mostly send RLE
    return transfer


def _age(spec: SpineSpec) -> int:
    return 11 if spec.torso_scale < 0.85 else int(40 + 45 * (spec.marrow_fat - 0.35) / 0.6)


def _series(
    rng: np.random.Generator,
    *,
    scanner: Scanner,
    spine: Spine,
    modality: str,
    views: list[Geometry],
    focus: int | None,
    noisy: bool,
    transfer: Transfer,
) -> tuple[list[SeriesPlan], CtPlan | None]:
    snr_scale = float(rng.uniform(*LOW_SNR_SCALE)) if noisy else 1.0
    if modality == "CT":
        ct = protocols.ct_plan(rng, scanner, spine.spec.marrow_fat, noisy)
        main = SeriesPlan(
            number=2,
            kind="ct",
            description="",
            plane="axial",
            weighting="CT",
            geometry=views[0],
            transfer=transfer,
        )
        return [main, *protocols.odd_series(rng, scanner, main)], ct
    axial = None
    if rng.random() < AXIAL_SHARE:
        in_view = [i for i in segments_in_view(spine, views) if i > 0]
        target = focus if focus is not None else int(rng.choice(in_view))
        axial = protocols.axial_block(rng, spine, float(spine.mid[target]))
    plans = protocols.mr_series(rng, scanner, views, axial, snr_scale=snr_scale, transfer=transfer)
    return [*plans, *protocols.odd_series(rng, scanner, plans[0])], None
