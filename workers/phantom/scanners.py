"""Scanner-side facts of a synthetic study: vendor and model, protocol names as vendors spell
them, sequence timing consistent with each contrast, and a synthetic patient.

Nothing here depends on what the images contain: names, IDs, dates and protocol choices are
drawn independently of the case's findings, so none of them can give the answer away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Vendor = Literal["SIEMENS", "GE MEDICAL SYSTEMS", "Philips"]
MrWeighting = Literal["T1", "T2", "STIR", "T1_contrast"]

MR_MODELS: dict[Vendor, tuple[str, ...]] = {
    "SIEMENS": ("Avanto", "Aera", "Skyra", "MAGNETOM Vida", "MAGNETOM Sola"),
    "GE MEDICAL SYSTEMS": ("Signa HDxt", "DISCOVERY MR750", "SIGNA Artist", "Optima MR450w"),
    "Philips": ("Ingenia", "Achieva", "Ingenia Elition X"),
}
CT_MODELS: dict[Vendor, tuple[str, ...]] = {
    "SIEMENS": ("SOMATOM Definition AS+", "SOMATOM Force", "SOMATOM go.Top"),
    "GE MEDICAL SYSTEMS": ("Revolution CT", "LightSpeed VCT", "Discovery CT750 HD"),
    "Philips": ("iCT 256", "Brilliance 64", "IQon - Spectral CT"),
}
SOFTWARE: dict[Vendor, tuple[str, ...]] = {
    "SIEMENS": ("syngo MR E11", "syngo MR XA20", "syngo CT VA48A"),
    "GE MEDICAL SYSTEMS": ("27\\LX\\MR Software release:DV26.0_R02", "24\\LX\\MR HD23.0_V01"),
    "Philips": ("5.6.1\\5.6.1.2", "5.4.1\\5.4.1.0"),
}
# Series descriptions as each vendor's protocols name them (sagittal unless said).
DESCRIPTIONS: dict[Vendor, dict[str, tuple[str, ...]]] = {
    "SIEMENS": {
        "T2": ("t2_tse_sag", "t2_tse_sag_384", "T2 TSE SAG"),
        "T1": ("t1_tse_sag", "t1_tse_sag_320", "T1 TSE SAG"),
        "STIR": ("t2_tirm_sag", "stir_sag", "t2_tse_stir_sag"),
        "T1_contrast": ("t1_tse_fs_sag_post", "T1 FS SAG +C"),
        "axial": ("t2_tse_tra", "t2_tse_tra_320"),
        "localizer": ("localizer", "AAHScout"),
    },
    "GE MEDICAL SYSTEMS": {
        "T2": ("SAG T2 FSE", "Sag T2 FRFSE", "SAG T2"),
        "T1": ("SAG T1 FSE", "Sag T1", "SAG T1"),
        "STIR": ("SAG STIR", "Sag STIR"),
        "T1_contrast": ("SAG T1 FS +C", "Sag T1 FS POST"),
        "axial": ("AX T2 FSE", "Ax T2"),
        "localizer": ("3-PL LOC", "3 Plane Loc"),
    },
    "Philips": {
        "T2": ("T2W_TSE SAG", "sT2W_TSE", "T2W_TSE_SAG"),
        "T1": ("T1W_TSE SAG", "sT1W_TSE", "T1W_TSE_SAG"),
        "STIR": ("STIR SAG", "sSTIR_TSE"),
        "T1_contrast": ("T1W_TSE_FS SAG +C", "sT1W_FS_GD"),
        "axial": ("T2W_TSE TRA", "T2W_TSE_AX"),
        "localizer": ("SURVEY", "Survey"),
    },
}
CT_KERNELS: dict[Vendor, tuple[tuple[str, float, float], ...]] = {
    # name, noise grain (px), blur (px): soft kernels blur more and correlate noise more
    "SIEMENS": (("B30f", 1.0, 0.8), ("Br40d", 0.8, 0.6), ("B70f", 0.4, 0.35)),
    "GE MEDICAL SYSTEMS": (("STANDARD", 1.0, 0.8), ("BONE", 0.45, 0.35), ("SOFT", 1.2, 0.9)),
    "Philips": (("B", 1.0, 0.8), ("YA", 0.7, 0.55), ("D", 0.45, 0.35)),
}
SURNAMES = (
    "HOLM",
    "VARGA",
    "OKAFOR",
    "LINDQVIST",
    "MORENO",
    "TANAKA",
    "NOWAK",
    "BRENNAN",
    "COSTA",
    "ADEYEMI",
    "FISCHER",
    "RAO",
    "MARTIN",
    "KOWALSKI",
    "DUBOIS",
    "SATO",
)
GIVEN = (
    "ANNA",
    "JONAS",
    "AMARA",
    "PETER",
    "LUCIA",
    "KENJI",
    "MAREK",
    "SIOBHAN",
    "RAFAEL",
    "NKEM",
    "ELSA",
    "VIKRAM",
    "CLAIRE",
    "TOMASZ",
    "YUKI",
    "OMAR",
)
STUDY_DESCRIPTIONS = {
    "MR": ("MR SPINE", "MRI SPINE WO", "MR WHOLE SPINE", "RM COLONNA", "MRT WIRBELSAEULE", ""),
    "CT": ("CT SPINE", "CT CHEST ABDOMEN PELVIS", "CT STAGING", "CT TAP WO", ""),
}


@dataclass(frozen=True)
class Scanner:
    vendor: Vendor
    model: str
    software: str
    field_t: float  # MR only
    station: str
    institution: str
    serial: str


@dataclass(frozen=True)
class Patient:
    name: str
    patient_id: str
    birth_date: str
    sex: str
    age_years: int
    weight_kg: float
    accession: str
    study_date: str
    study_time: str


@dataclass(frozen=True)
class MrTiming:
    """Acquisition parameters of one MR series, consistent with its contrast."""

    weighting: MrWeighting
    tr_ms: float
    te_ms: float
    ti_ms: float | None
    flip_deg: float
    echo_train: int
    scanning_sequence: str
    sequence_variant: str
    scan_options: str
    sequence_name: str


def draw_scanner(rng: np.random.Generator, modality: str) -> Scanner:
    vendors: list[Vendor] = list(MR_MODELS)
    vendor = vendors[int(rng.integers(len(vendors)))]
    models = MR_MODELS if modality == "MR" else CT_MODELS
    return Scanner(
        vendor=vendor,
        model=str(rng.choice(models[vendor])),
        software=str(rng.choice(SOFTWARE[vendor])),
        field_t=float(rng.choice([1.5, 3.0])),
        station=f"{('MR' if modality == 'MR' else 'CT')}{int(rng.integers(1, 9))}",
        institution=str(rng.choice(["General Hospital", "City Clinic", "University Hospital"])),
        serial=str(int(rng.integers(10000, 99999))),
    )


def draw_patient(rng: np.random.Generator, age_years: int) -> Patient:
    year = int(rng.integers(2024, 2027))
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    sex = str(rng.choice(["F", "M"]))
    return Patient(
        name=f"{rng.choice(SURNAMES)}^{rng.choice(GIVEN)}",
        patient_id=str(int(rng.integers(10**7, 10**8))),
        birth_date=f"{year - age_years:04d}{_two(rng, 1, 13)}{_two(rng, 1, 29)}",
        sex=sex,
        age_years=age_years,
        weight_kg=float(np.round(rng.uniform(45, 105) if age_years >= 16 else rng.uniform(18, 45))),
        accession=str(int(rng.integers(10**9, 10**10))),
        study_date=f"{year:04d}{month:02d}{day:02d}",
        study_time=f"{_two(rng, 7, 20)}{_two(rng, 0, 60)}{_two(rng, 0, 60)}",
    )


def _two(rng: np.random.Generator, low: int, high: int) -> str:
    return f"{int(rng.integers(low, high)):02d}"


def draw_timing(rng: np.random.Generator, weighting: MrWeighting, scanner: Scanner) -> MrTiming:
    """TR/TE/TI and sequence identifiers in the usual ranges for a contrast and field."""
    siemens = scanner.vendor == "SIEMENS"
    if weighting == "T2":
        tr, te, ti, etl = (
            rng.uniform(2500, 5000),
            rng.uniform(80, 120),
            None,
            int(rng.integers(15, 25)),
        )
    elif weighting == "STIR":
        ti = rng.uniform(140, 180) if scanner.field_t < 2 else rng.uniform(210, 240)
        tr, te, etl = rng.uniform(3000, 5000), rng.uniform(30, 70), int(rng.integers(9, 17))
    else:
        tr, te, ti, etl = rng.uniform(400, 700), rng.uniform(8, 15), None, int(rng.integers(3, 6))
    inversion = weighting == "STIR"
    fat_sat = weighting == "T1_contrast"
    return MrTiming(
        weighting=weighting,
        tr_ms=round(float(tr), 1),
        te_ms=round(float(te), 2),
        ti_ms=round(float(ti), 1) if ti is not None else None,
        flip_deg=float(rng.choice([90.0, 150.0, 160.0])),
        echo_train=etl,
        scanning_sequence="SE\\IR" if inversion else "SE",
        sequence_variant="SK\\SP\\MP\\OSP" if inversion else "SK\\SP\\OSP",
        scan_options=("IR" if inversion else ("FS" if fat_sat else "")) if not siemens else "PFP",
        sequence_name=(
            f"*tse2d1_{etl}" if siemens else ("TSE" if scanner.vendor == "Philips" else "")
        ),
    )


def description(rng: np.random.Generator, scanner: Scanner, key: str) -> str:
    """A vendor-like series description; now and then empty, as some sites send them."""
    if rng.random() < 0.05:
        return ""
    return str(rng.choice(DESCRIPTIONS[scanner.vendor][key]))
