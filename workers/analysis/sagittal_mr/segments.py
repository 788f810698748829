"""Vertebral segments along the straightened canal, and their names when an anchor is in view.

Discs are found in a band through the back of the vertebral bodies, just in front of the canal:
a body is long and even, while a disc with its two cortical endplates is a short stretch where
the signal changes a lot (dark endplates and annulus; a bright or a dried-out nucleus), on
every weighting. So the smoothed gradient energy along the canal peaks once per disc. Peaks
closer than a segment are merged; a gap of two segments gets the disc it must have missed.

Names are counted from an anchor, never guessed: the skull base (a long stretch above the first
disc with no disc in it: C2 with the dens, C1 and the skull, where the sac widens into the
cisterns; missed discs at the top of a thoracic or lumbar field leave a long stretch too, but
a sac of its usual depth) or the sacrum (the sac seen to
close, at S2, less than two segments below the last disc)."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, signal

from spinetriage.levels import LEVELS, level_at, level_position
from workers.analysis.reading import Anchor, Segment
from workers.analysis.sagittal_mr.straighten import Straightened

Floats = NDArray[np.float64]

BODY_BAND_MM = (-22.0, -10.0)  # in front of the canal's centre: the back of the bodies
PROFILE_SMOOTHING_MM = 0.8
DISC_SMOOTHING_MM = 3.0  # merges a disc's two endplate edges and its nucleus into one bump
PERIOD_RANGE_MM = (14.0, 40.0)  # one body plus one disc, from C3 to L5
MIN_PEAK = 0.65  # discs peak at 0.8-1.2; the top of C2 and the skull base at 0.2-0.6 (tuning set)
HARMONIC_SHARE = 0.6  # a repeat this strong relative to the best is a real one
MERGE_FRACTION = 0.6  # two discs closer than this many segments are one
STRAY_END_FRACTION = 1.4  # an end peak this many segments from the next is no disc ...
# ... unless, at the top, the sac around it is as deep as usual: discs with missed ones below
# measured 0.94-1.25 of the median depth, peaks in the skull 0-0.43 or, in the cisterns,
# 1.46-1.61 (25 series of the tuning sets)
SPINAL_SAC_RANGE = (0.8, 1.35)
SPINAL_SAC_WINDOW_MM = 10.0
INSERT_FRACTION = 1.6  # a gap longer than this many segments has a missed disc in it
FILL_LENGTH = (0.75, 1.25)  # segments filled in are this long against their neighbours
FILL_MARGIN = 0.05  # another count than the nearest multiple needs this much more disc signal
SKULL_GAP_SEGMENTS = 1.8  # above C2/C3: C2 with the dens, C1 and the skull base
SKULL_GAP_MIN_MM = 35.0  # C2's body and dens alone are longer
# ... and the segments below it are cervical: C3-C5 measure 16-21 mm with their discs (adult
# textbook sizes and their variation); lumbar ones 30-40
CERVICAL_SEGMENT_MAX_MM = 26.0
# Where the sac closes (S1-S3) lie sacral remnants, and roots crowd the tapering sac: discs
# within this many segments above its end are no lumbar discs ...
SACRAL_END_MARGIN = 0.6
# ... and masses are looked for only above the last disc this far above it (S1/S2 remnant peaks
# lie 0-1.2 segments above the sac end, L5/S1 0.7-1.9: 5 tuning cases)
READ_ABOVE_SAC_END_SEGMENTS = 0.9
# The sacrum's fused segments are shorter than the lumbar ones: a disc this much closer to the
# one above than the three lumbar gaps before is the first sacral remnant (S1/S2). Tuning sets,
# 79 lumbar and thoracolumbar sagittal T2 and STIR series: sacrum counted right 9 -> 14 times,
# one level off 24 -> 18 (shortening 0.75-0.8 alike, 0.85 worse).
SACRAL_SHORTENING = 0.8
SACRAL_SEARCH_SEGMENTS = 2.5  # looked for this close above the sac's end
SACRUM_REACH_SEGMENTS = 2.0  # L5/S1 to the sac's end (mid S2) is about 1.3 segments
SACRUM_BELOW_SAC_MM = 15.0  # the sacrum must be seen below the sac's end, not the image edge
# ... and the segments above it are lumbar: L3-L5 measured 28-38 mm with their discs on the
# tuning sets; thoracic fields whose sac seemed to close, 21-26
LUMBAR_SEGMENT_MIN_MM = 27.0
FIRST_BELOW_SKULL = "C3"  # the first whole segment below the first disc (C2/C3)
# Above C2/C3 no disc shows: C2 (its body and the disc below, textbook 16 + 4.5 mm) and C1's
# ring (10 mm) are placed from C3's segment (13.5 + 5 mm)
C2_TO_C3_LENGTH = 1.1
C1_TO_C3_LENGTH = 0.55
DISC_HALF_FRACTION = 0.12  # half a disc: discs are about a quarter of a segment


def disc_profile(straight: Straightened, dz_mm: float) -> Floats:
    """Gradient energy along the canal in the body band, scaled to its 95th percentile."""
    band = straight.between(*BODY_BAND_MM).mean(axis=1)
    smooth = ndimage.gaussian_filter1d(band, PROFILE_SMOOTHING_MM / dz_mm)
    energy = ndimage.gaussian_filter1d(np.abs(np.gradient(smooth)), DISC_SMOOTHING_MM / dz_mm)
    scale = float(np.percentile(energy, 95)) or 1.0
    profile: Floats = energy / scale
    return profile


def segment_period_mm(profile: Floats, dz_mm: float) -> float:
    """The profile's strongest repeat length within the range a segment can have."""
    centred = profile - profile.mean()
    correlation = np.correlate(centred, centred, mode="full")[centred.size - 1 :]
    lags_mm = np.arange(correlation.size) * dz_mm
    allowed = (lags_mm >= PERIOD_RANGE_MM[0]) & (lags_mm <= PERIOD_RANGE_MM[1])
    if not allowed.any():
        return float(np.mean(PERIOD_RANGE_MM))
    lags, values = lags_mm[allowed], correlation[allowed]
    peaks, _ = signal.find_peaks(values, height=HARMONIC_SHARE * float(values.max()))
    # twice the period also correlates well: the shortest strong repeat is the segment
    return float(lags[peaks[0]]) if peaks.size else float(lags[np.argmax(values)])


def disc_rows(profile: Floats, dz_mm: float, sac_ap_mm: Floats | None = None) -> Floats:
    """Canonical rows of disc centres, top to bottom. ``sac_ap_mm``: the sac's depth on each
    row, where the series shows it (fluid-bright series)."""
    period = segment_period_mm(profile, dz_mm) / dz_mm
    distance = max(1, round(MERGE_FRACTION * period))
    peaks, _ = signal.find_peaks(profile, height=MIN_PEAK, distance=distance)
    return fill_missed(without_stray_ends(peaks.astype(float), sac_ap_mm, dz_mm), period, profile)


def without_stray_ends(rows: Floats, sac_ap_mm: Floats | None = None, dz_mm: float = 1.0) -> Floats:
    """Drop an end peak that stands too far from the next one to be a disc (skull base edge,
    the top of the dens), unless at the top the sac around it is the spine's (discs were
    missed below it)."""
    if rows.size < 4:
        return rows
    usual = float(np.median(np.diff(rows)))
    stray_top = rows[1] - rows[0] > STRAY_END_FRACTION * usual
    if stray_top and not (sac_ap_mm is not None and spinal_sac_at(sac_ap_mm, rows[0], dz_mm)):
        rows = rows[1:]
    if rows[-1] - rows[-2] > STRAY_END_FRACTION * usual:
        rows = rows[:-1]
    return rows


def spinal_sac_at(sac_ap_mm: Floats, row: float, dz_mm: float) -> bool:
    """Whether the sac around ``row`` is there all along and of its usual depth, as in the
    spinal canal (in the skull it is missing or shallow, in the cisterns deeper)."""
    depth = np.nan_to_num(sac_ap_mm, nan=0.0)
    seen = depth[depth > 0]
    if seen.size == 0:
        return False
    half = max(1, round(SPINAL_SAC_WINDOW_MM / 2 / dz_mm))
    centre = round(row)
    near = depth[max(0, centre - half) : centre + half + 1]
    ratio = float(np.median(near)) / float(np.median(seen))
    low, high = SPINAL_SAC_RANGE
    return bool((near > 0).all() and low <= ratio <= high)


def fill_missed(rows: Floats, period: float, profile: Floats | None = None) -> Floats:
    """Discs added evenly into gaps that are whole multiples of the local segment length. Where
    the gap is not clearly one multiple (segments shorten towards the head) and the disc
    profile is given, the count whose discs fall on the profile's fainter peaks wins."""
    if rows.size < 2:
        return rows
    filled = [float(rows[0])]
    gaps = np.diff(rows)
    for index, gap in enumerate(gaps):
        neighbours = np.concatenate((gaps[max(0, index - 2) : index], gaps[index + 1 : index + 3]))
        usual = min(float(np.median(neighbours)) if neighbours.size else period, 1.3 * period)
        segments = round(gap / usual) if gap > INSERT_FRACTION * usual else 1
        if segments > 1 and profile is not None:
            segments = _best_count(profile, rows[index], gap, usual, segments)
        for k in range(1, segments):
            filled.append(float(rows[index] + k * gap / segments))
        filled.append(float(rows[index + 1]))
    return np.array(filled)


def _best_count(profile: Floats, start: float, gap: float, usual: float, guess: int) -> int:
    """Of ``guess`` segments in a gap and one either side, the count whose evenly spaced discs
    stand on the most disc signal, among those of a plausible length."""
    reach = max(1, round(DISC_HALF_FRACTION * usual))

    def signal_at(count: int) -> float:
        centres = start + gap * np.arange(1, count) / count
        return float(
            np.mean(
                [profile[max(0, round(c) - reach) : round(c) + reach + 1].max() for c in centres]
            )
        )

    plausible = {
        n: signal_at(n)
        for n in (guess - 1, guess, guess + 1)
        if n >= 2 and FILL_LENGTH[0] <= gap / n / usual <= FILL_LENGTH[1]
    }
    if not plausible:
        return guess
    best = max(plausible, key=plausible.__getitem__)
    at_guess = plausible[guess] if guess in plausible else signal_at(guess)
    return best if plausible[best] > at_guess + FILL_MARGIN else guess


def segments_between(discs: Floats, period_rows: float) -> list[Segment]:
    """A segment from the body below each disc to the body below the next one: upper endplates
    lie half a disc below the disc's centre."""
    endplates = discs + DISC_HALF_FRACTION * period_rows
    return [
        Segment(top_z=float(top), bottom_z=float(bottom))
        for top, bottom in itertools.pairwise(endplates)
    ]


def find_anchor(
    discs: Floats, rows: int, sac_end: int | None, dz_mm: float, *, cisterns: bool
) -> Anchor | None:
    """Skull base when a long disc-free stretch lies above the first disc, the sac widens
    into the cisterns there (``cisterns``) and the segments below are cervical-sized; sacrum
    when the sac closes in view, the last disc (L5/S1) less than two segments above where it
    closes, and the segments above it are lumbar-sized.
    ``sac_end``: the row where the sac closes (None when it is not seen to close)."""
    if discs.size < 2:
        return None
    usual = float(np.median(np.diff(discs)))
    above = float(discs[0])
    long_gap = above * dz_mm >= SKULL_GAP_MIN_MM and above >= SKULL_GAP_SEGMENTS * usual
    cervical = _segment_mm(discs[:4], dz_mm) <= CERVICAL_SEGMENT_MAX_MM
    if long_gap and cisterns and cervical:
        return "skull_base"
    if sac_end is None or (rows - 1 - sac_end) * dz_mm < SACRUM_BELOW_SAC_MM:
        return None
    lumbar = _segment_mm(discs[-4:], dz_mm) >= LUMBAR_SEGMENT_MIN_MM
    near = sac_end - float(discs[-1]) <= SACRUM_REACH_SEGMENTS * usual
    return "sacrum" if lumbar and near else None


def _segment_mm(discs: Floats, dz_mm: float) -> float:
    """Median length of the segments between consecutive discs, in millimetres."""
    return float(np.median(np.diff(discs))) * dz_mm


def above_sac_end(discs: Floats, sac_end: int | None, period_rows: float) -> Floats:
    """Lumbar discs above the sacrum: not at the sac's end, and not the first of the sacrum's
    fused segments, which are shorter than the lumbar ones above them."""
    if sac_end is None:
        return discs
    kept: Floats = discs[discs < sac_end - SACRAL_END_MARGIN * period_rows]
    for index in range(3, kept.size):
        if kept[index] < sac_end - SACRAL_SEARCH_SEGMENTS * period_rows:
            continue
        lumbar = float(np.median(np.diff(kept[index - 3 : index])))
        if kept[index] - kept[index - 1] < SACRAL_SHORTENING * lumbar:
            return kept[:index]
    return kept


def last_read_row(discs: Floats, sac_end: int | None, period_rows: float) -> float:
    """The lowest row read for masses: the last disc, and not one near where the sac closes,
    where roots crowd the tapering sac and thicken its outline."""
    if sac_end is None:
        return float(discs[-1])
    above = discs[discs < sac_end - READ_ABOVE_SAC_END_SEGMENTS * period_rows]
    return float(above[-1]) if above.size else float(discs[0])


def named(segments: list[Segment], anchor: Anchor | None) -> list[Segment]:
    """Segments with contract names counted from the anchor (unnamed without one), with C1
    and C2 above C3 from the skull base and S1 below L5 from the sacrum."""
    if anchor is None or not segments:
        return segments
    if anchor == "skull_base":
        first = level_position(FIRST_BELOW_SKULL)
    else:  # the last segment found ends at the disc above S1: it is L5
        first = level_position("L5") - (len(segments) - 1)
    result = []
    for offset, segment in enumerate(segments):
        name = level_at(first + offset)
        result.append(Segment(segment.top_z, segment.bottom_z, name))
    if anchor == "sacrum":
        return [*result, _sacral_segment(segments[-1])]
    return [*_upper_cervical(segments[0]), *result]


def _upper_cervical(c3: Segment) -> list[Segment]:
    """C1 and C2 above C3, sized from it, as far as the image reaches."""
    length = c3.bottom_z - c3.top_z
    c2_top = c3.top_z - C2_TO_C3_LENGTH * length
    c1_top = c2_top - C1_TO_C3_LENGTH * length
    upper = [Segment(c1_top, c2_top, "C1"), Segment(c2_top, c3.top_z, "C2")]
    return [
        Segment(max(segment.top_z, 0.0), segment.bottom_z, segment.name)
        for segment in upper
        if segment.bottom_z > 0.0
    ]


def _sacral_segment(l5: Segment) -> Segment:
    """S1 below the L5/S1 disc, as long as L5 (the contract counts the sacrum as one level)."""
    length = l5.bottom_z - l5.top_z
    return Segment(l5.bottom_z, l5.bottom_z + length, LEVELS[-1])
