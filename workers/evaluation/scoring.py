"""Scores for the heuristics: what ``spinetriage eval`` prints, computed from pairs of ground
truth and analysis result. Pure functions; nothing here reads files or runs the analysis.

Grade agreement uses three classes, as MESCC grading studies do: low (no epidural mass, 0, 1a),
sac deformed (1b, 1c) and cord compressed (2, 3); kappa is Cohen's with linear weights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spinetriage.levels import level_position
from spinetriage.triage import BilskyGrade, Finding, FindingType, TriageResult, bilsky_rank
from workers.phantom.truth import StudyTruth, TruthFinding

GRADE_CLASSES = ("0-1a", "1b-1c", "2-3")
COMPARTMENTS: tuple[FindingType, ...] = ("epidural_mass", "paraspinal_mass", "prevertebral_mass")


@dataclass(frozen=True)
class Scored:
    truth: StudyTruth
    result: TriageResult | None  # None: the analysis failed or declined the study
    cpu_s: float
    peak_rss_mb: float = 0.0

    @property
    def truth_worst(self) -> BilskyGrade | None:
        return worst_grade([f.bilsky_grade for f in self.truth.findings])

    @property
    def predicted_worst(self) -> BilskyGrade | None:
        if self.result is None:
            return None
        return worst_grade([f.bilsky_grade for f in self.result.findings])


@dataclass(frozen=True)
class Proportion:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        value = self.value
        shown = "n/a" if value is None else f"{value:.3f}"
        return f"{shown} ({self.hits}/{self.total})"


@dataclass(frozen=True)
class Report:
    sensitivity: Proportion
    specificity: Proportion
    detection: dict[FindingType, Proportion]
    # studies without a mass of the compartment that were given one
    false_findings: dict[FindingType, Proportion]
    extent_exact: Proportion
    extent_within_one: Proportion
    levels_withheld_without_anchor: Proportion
    kappa: float
    kappa_positives: float
    confusion: list[list[int]]


def grade_class(grade: BilskyGrade | None) -> int:
    """0 for no epidural mass, 0 or 1a; 1 for 1b-1c; 2 for 2-3."""
    if grade is None or bilsky_rank(grade) <= bilsky_rank("1a"):
        return 0
    return 1 if bilsky_rank(grade) <= bilsky_rank("1c") else 2


def worst_grade(grades: Sequence[BilskyGrade | None]) -> BilskyGrade | None:
    return max((g for g in grades if g is not None), key=bilsky_rank, default=None)


def weighted_kappa(pairs: Sequence[tuple[int, int]], classes: int = 3) -> float:
    """Cohen's kappa with linear disagreement weights; 1.0 when both sides agree on one class."""
    if not pairs:
        return float("nan")
    observed = np.zeros((classes, classes))
    for truth, predicted in pairs:
        observed[truth, predicted] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    index = np.arange(classes)
    weights = np.abs(index[:, None] - index[None, :]) / (classes - 1)
    disagreement_expected = float((weights * expected).sum())
    if disagreement_expected == 0:
        return 1.0
    return 1.0 - float((weights * observed).sum()) / disagreement_expected


def matching_finding(truth: TruthFinding, predicted: Sequence[Finding]) -> Finding | None:
    """The predicted finding of the same compartment that best overlaps the true one; levels
    that could not be named count as overlapping."""
    same_type = [f for f in predicted if f.type == truth.type]
    if not same_type:
        return None
    return max(same_type, key=lambda f: _overlap_levels(truth, f))


def _overlap_levels(truth: TruthFinding, finding: Finding) -> float:
    if finding.from_level is None or finding.to_level is None:
        return 0.5  # unanchored: plausible, ranks below any real overlap
    top = max(level_position(truth.from_level), level_position(finding.from_level))
    bottom = min(level_position(truth.to_level), level_position(finding.to_level))
    return float(bottom - top + 1)


def score(scored: Sequence[Scored]) -> Report:
    positives = [s for s in scored if s.truth.suspected_compression]
    negatives = [s for s in scored if not s.truth.suspected_compression]
    detection = {c: _detection(scored, c) for c in COMPARTMENTS}
    exact, within, withheld = _extents(scored)
    pairs = [(grade_class(s.truth_worst), grade_class(s.predicted_worst)) for s in scored]
    epidural = [p for p, s in zip(pairs, scored, strict=True) if s.truth_worst is not None]
    confusion = [[0] * 3 for _ in range(3)]
    for truth, predicted in pairs:
        confusion[truth][predicted] += 1
    return Report(
        sensitivity=Proportion(sum(_flagged(s) for s in positives), len(positives)),
        specificity=Proportion(sum(not _flagged(s) for s in negatives), len(negatives)),
        detection=detection,
        false_findings={c: _false_findings(scored, c) for c in COMPARTMENTS},
        extent_exact=exact,
        extent_within_one=within,
        levels_withheld_without_anchor=withheld,
        kappa=weighted_kappa(pairs),
        kappa_positives=weighted_kappa(epidural),
        confusion=confusion,
    )


def _flagged(scored: Scored) -> bool:
    return scored.result is not None and scored.result.suspected_compression


def _detection(scored: Sequence[Scored], compartment: FindingType) -> Proportion:
    hits = total = 0
    for s in scored:
        predicted = s.result.findings if s.result else ()
        for finding in s.truth.findings:
            if finding.type == compartment:
                total += 1
                hits += matching_finding(finding, predicted) is not None
    return Proportion(hits, total)


def _false_findings(scored: Sequence[Scored], compartment: FindingType) -> Proportion:
    without = [s for s in scored if all(f.type != compartment for f in s.truth.findings)]
    given = sum(
        s.result is not None and any(f.type == compartment for f in s.result.findings)
        for s in without
    )
    return Proportion(given, len(without))


def _extents(scored: Sequence[Scored]) -> tuple[Proportion, Proportion, Proportion]:
    """Level extent of detected findings where an anchor was in view (exact, within one level),
    and how often levels were left unnamed where none was."""
    exact = within = anchored = withheld = unanchored = 0
    for s in scored:
        predicted = s.result.findings if s.result else ()
        for truth in s.truth.findings:
            found = matching_finding(truth, predicted)
            if found is None:
                continue
            if s.truth.anchor is None:
                unanchored += 1
                withheld += found.from_level is None and found.to_level is None
                continue
            anchored += 1
            if found.from_level is None or found.to_level is None:
                continue
            top = abs(level_position(found.from_level) - level_position(truth.from_level))
            bottom = abs(level_position(found.to_level) - level_position(truth.to_level))
            exact += top == 0 and bottom == 0
            within += top <= 1 and bottom <= 1
    return (
        Proportion(exact, anchored),
        Proportion(within, anchored),
        Proportion(withheld, unanchored),
    )
