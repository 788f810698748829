"""``write_case``: render a case's series, write them as DICOM files under ``dicom/`` and the
ground truth, measured on the same phantom, as ``truth.json`` beside them.

File names are random and unordered, as on many PACS exports; nothing in a name or a tag says
what the case holds. Each series draws its noise from its own stream of the case's seed, so the
same case gives the same bytes whatever else changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from workers.phantom.case_spec import CaseSpec, SeriesPlan
from workers.phantom.coverage import anchor_in_view, levels_in_view
from workers.phantom.dicom_base import Study
from workers.phantom.dicom_ct import write_ct_slices, write_dose_report, write_scout
from workers.phantom.dicom_extras import write_localizer, write_screenshot
from workers.phantom.dicom_mr import write_enhanced_mr, write_mr_slices
from workers.phantom.findings import blob_finding, epidural_finding
from workers.phantom.geometry import Geometry
from workers.phantom.intensity import ct_contrast, mr_contrast
from workers.phantom.phantom import Phantom
from workers.phantom.render import CtImages, CtSettings, MrSettings, render_ct, render_mr
from workers.phantom.truth import DICOM_DIR, StudyTruth, TruthFinding, TruthSeries
from workers.phantom.uids import Uids

UNSIGNED_CT_MAX = 4095  # 12 bits stored
SPACING_TAG_SHARE = 0.7  # MR series that write SpacingBetweenSlices
NAME_STYLES = ("IM{:05d}", "{:08X}", "I{:07d}.dcm", "{:08x}.dcm")


class FileNames:
    """Unique random file names in one style per study."""

    def __init__(self, folder: Path, rng: np.random.Generator) -> None:
        self.folder = folder
        self.rng = rng
        self.style = NAME_STYLES[int(rng.integers(len(NAME_STYLES)))]
        self.used: set[int] = set()

    def take(self, count: int) -> list[Path]:
        names: list[Path] = []
        while len(names) < count:
            number = int(self.rng.integers(0, 10**5 if "05d" in self.style else 2**31))
            if number not in self.used:
                self.used.add(number)
                names.append(self.folder / self.style.format(number))
        return names


def write_case(spec: CaseSpec, case_dir: Path) -> StudyTruth:
    folder = case_dir / DICOM_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # a case written again replaces its own files only
        if stale.is_file():
            stale.unlink()
    phantom = Phantom(spec.spine, spec.contents)
    study = Study(spec, Uids(spec.seed, spec.case_id))
    names = FileNames(folder, _stream(spec, 0))
    shown: dict[int, NDArray[np.integer]] = {}
    ct_images: CtImages | None = None
    for station in sorted({p.station for p in spec.series if p.kind == "mr"}):
        plans = [p for p in spec.series if p.kind == "mr" and p.station == station]
        _write_mr_station(study, phantom, plans, names, shown)
    for plan in (p for p in spec.series if p.kind == "ct"):
        ct_images = _write_ct(study, phantom, plan, names, shown)
    for plan in spec.series:
        _write_odd(study, phantom, plan, names, shown=shown, ct_images=ct_images)
    truth = _truth(spec, study, phantom)
    truth.write(case_dir)
    return truth


def truth_of(spec: CaseSpec) -> StudyTruth:
    """The ground truth ``write_case`` would write, without rendering any image."""
    return _truth(
        spec, Study(spec, Uids(spec.seed, spec.case_id)), Phantom(spec.spine, spec.contents)
    )


def _stream(spec: CaseSpec, number: int) -> np.random.Generator:
    return np.random.default_rng([spec.seed, 7919, number])


def _write_mr_station(
    study: Study,
    phantom: Phantom,
    plans: list[SeriesPlan],
    names: FileNames,
    shown: dict[int, NDArray[np.integer]],
) -> None:
    geometry = _geometry(plans[0])
    settings = [
        MrSettings(
            contrast=mr_contrast(p.weighting, study.spec.spine.marrow_fat),  # type: ignore[arg-type]
            snr=p.snr,
            gain=p.gain / (p.rescale_slope or 1.0),
            bias_strength=p.bias,
            max_stored=2**p.bits_stored - 1,
            acquisition=p.acquisition,
        )
        for p in plans
    ]
    rng = _stream(study.spec, plans[0].number)
    frames = render_mr(phantom, geometry, settings, rng)
    for plan, stack in zip(plans, frames, strict=True):
        shown.setdefault(plan.number, stack[len(stack) // 2])
        if plan.enhanced:
            write_enhanced_mr(study, plan, stack, names.take(1)[0])
        else:
            spacing_tag = bool(_stream(study.spec, plan.number + 500).random() < SPACING_TAG_SHARE)
            write_mr_slices(study, plan, stack, names.take(len(stack)), spacing_tag)


def _write_ct(
    study: Study,
    phantom: Phantom,
    plan: SeriesPlan,
    names: FileNames,
    shown: dict[int, NDArray[np.integer]],
) -> CtImages:
    ct = study.spec.ct
    if ct is None:
        raise ValueError("spec: a CT series needs the study's CT plan")
    contrast = ct_contrast(study.spec.spine.marrow_fat, ct.cortical_hu)
    intercept = 0.0 if ct.signed else -1024.0
    settings = CtSettings(contrast, ct.noise_hu, ct.grain_px, ct.blur_px, intercept, ct.signed)
    images = render_ct(phantom, _geometry(plan), settings, _stream(study.spec, plan.number))
    slices = images.slices if ct.signed else np.minimum(images.slices, UNSIGNED_CT_MAX)
    shown.setdefault(plan.number, slices[len(slices) // 2])
    write_ct_slices(study, plan, ct, slices, names.take(len(slices)))
    return images


def _write_odd(
    study: Study,
    phantom: Phantom,
    plan: SeriesPlan,
    names: FileNames,
    *,
    shown: dict[int, NDArray[np.integer]],
    ct_images: CtImages | None,
) -> None:
    spec = study.spec
    main = next(p for p in spec.series if p.kind in ("mr", "ct"))
    if plan.kind == "mr_localizer":
        centre = _geometry(main).centre()
        write_localizer(
            study, plan, phantom, centre=centre, rng=_stream(spec, plan.number), names=names.take(3)
        )
    elif plan.kind == "ct_localizer" and ct_images is not None:
        write_scout(study, plan, _geometry(main), ct_images.lateral_projection, names.take(1)[0])
    elif plan.kind == "screenshot":
        write_screenshot(study, plan, shown[main.number], names.take(1)[0])
    elif plan.kind == "dose_report" and spec.ct is not None:
        write_dose_report(study, plan, spec.ct, _geometry(main), names.take(1)[0])


def _geometry(plan: SeriesPlan) -> Geometry:
    if plan.geometry is None:
        raise ValueError(f"plan: series {plan.number} has no geometry")
    return plan.geometry


IMAGES_OF = {"mr_localizer": 3, "ct_localizer": 1, "screenshot": 1, "dose_report": 0}


def _truth(spec: CaseSpec, study: Study, phantom: Phantom) -> StudyTruth:
    views = [p.geometry for p in spec.series if p.geometry is not None and p.plane == "sagittal"]
    if spec.modality == "CT":
        views = [p.geometry for p in spec.series if p.kind == "ct" and p.geometry is not None]
    findings: list[TruthFinding] = []
    for mass in spec.contents.epidural:
        finding = epidural_finding(phantom, mass)
        if finding is not None:
            findings.append(finding)
    for blob in spec.contents.blobs:
        found = blob_finding(phantom, blob)
        if found is not None:
            findings.append(found)
    series = [
        TruthSeries(
            series_instance_uid=study.series_uid(p),
            plane=p.plane,
            weighting=p.weighting,
            slices=p.geometry.slices if p.geometry is not None else IMAGES_OF[p.kind],
        )
        for p in spec.series
        if p.kind != "ct_localizer" or spec.ct is not None
    ]
    return StudyTruth(
        case_id=spec.case_id,
        seed=spec.seed,
        study_instance_uid=study.study_uid,
        modality=spec.modality,
        field_of_view=spec.field_of_view,
        levels_in_view=levels_in_view(phantom.spine, views),
        anchor=anchor_in_view(phantom.spine, views),
        findings=tuple(findings),
        distractors=spec.distractors,
        series=tuple(series),
    )
