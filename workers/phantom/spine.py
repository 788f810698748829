"""Where the spine is: segment positions along a curved centerline, the centerline in patient
coordinates, and the normal canal, sac and cord sizes at every height.

Everything is measured in the spine's own frame: ``s`` is the arc length along the centerline of
the spinal canal (mm, 0 at the foramen magnum, growing towards the feet), ``u`` the distance
from the centerline towards the back, ``v`` towards the patient's left. A point of the patient
(DICOM LPS, mm) maps to ``(s, u, v)`` by projecting it onto the centerline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter1d

from workers.phantom.anatomy import SEGMENTS, SpineSpec
from workers.phantom.floats import Floats, Heights

TABLE_STEP_MM = 0.25  # per-height tables are read at the nearest step: 0.1 mm at worst
HEAD_EXTENT_MM = 260.0  # centerline continued straight this far above the foramen magnum
TAIL_EXTENT_MM = 80.0  # and this far below the last sacral segment
FORAMEN_TO_C1_MM = 6.0  # the atlas ring starts a few mm below the basion
CURVE_SMOOTHING_MM = 14.0  # curves bend over several segments, not at a joint
SCOLIOSIS_WIDTH_MM = 110.0  # half-width of a lateral curve along the spine
PROJECTION_ITERATIONS = 3  # Newton steps onto the centerline; 3 converge to < 0.01 mm
CONUS_TAPER_MM = 22.0  # the cord narrows to the filum over this length
FILUM_RADIUS_MM = 0.8
SAC_END_TAPER_MM = 12.0  # the dural sac closes over this length around S2


@dataclass(frozen=True)
class Local:
    """Points in the spine's frame; arrays of the same shape."""

    s: Floats
    u: Floats
    v: Floats


class Spine:
    """Positions and normal dimensions derived from a ``SpineSpec``."""

    def __init__(self, spec: SpineSpec) -> None:
        self.spec = spec
        heights = np.array([seg.body_height_mm for seg in spec.segments])
        discs = np.array([seg.disc_below_mm for seg in spec.segments])
        self.top = FORAMEN_TO_C1_MM + np.concatenate(([0.0], np.cumsum(heights + discs)[:-1]))
        self.bottom = self.top + heights
        self.mid = (self.top + self.bottom) / 2
        self.end = float(self.bottom[-1])
        self.s_table = np.arange(-HEAD_EXTENT_MM, self.end + TAIL_EXTENT_MM, TABLE_STEP_MM)
        self._s0 = float(self.s_table[0])
        self._build_centerline()
        self._build_canal()
        self._freeze_tables()

    # -- levels --------------------------------------------------------------------------

    def s_at(self, segment: float) -> float:
        """The height of a fractional segment index (2.5: halfway down C3's body + disc)."""
        i = int(np.clip(np.floor(segment), 0, len(SEGMENTS) - 2))
        frac = segment - i
        return float(self.top[i] + frac * (self.top[i + 1] - self.top[i]))

    def segment_of(self, s: NDArray[np.floating]) -> NDArray[np.intp]:
        """Index of the segment whose body-plus-disc-below span holds each height."""
        index = np.searchsorted(self.top, s, side="right") - 1
        return np.clip(index, 0, len(SEGMENTS) - 1)

    # -- centerline ----------------------------------------------------------------------

    def _build_centerline(self) -> None:
        c = self.spec.curvature
        t1 = 0.45 * c.thoracic_kyphosis_deg + c.tilt_deg
        t12 = t1 - c.thoracic_kyphosis_deg
        s1 = t12 + c.lumbar_lordosis_deg
        knots = [
            (self.mid[1], t1 - c.cervical_lordosis_deg),
            (self.mid[SEGMENTS.index("T1")], t1),
            (self.mid[SEGMENTS.index("T12")], t12),
            (self.top[SEGMENTS.index("S1")], s1),
            (self.bottom[-1], s1 + c.sacral_curve_deg),
        ]
        ks, kt = zip(*knots, strict=True)
        theta_deg = np.interp(self.s_table, ks, kt)
        sigma = CURVE_SMOOTHING_MM / TABLE_STEP_MM
        theta = np.radians(gaussian_filter1d(theta_deg, sigma, mode="nearest"))
        self.sin_t, self.cos_t = np.sin(theta), np.cos(theta)
        x0, y0, z0 = self.spec.foramen_magnum_mm
        apex = self.s_at(c.scoliosis_apex)
        bump = np.exp(-(((self.s_table - apex) / SCOLIOSIS_WIDTH_MM) ** 2))
        self.x = x0 + c.scoliosis_mm * bump
        self.dx = np.gradient(self.x, TABLE_STEP_MM)
        origin = int(np.searchsorted(self.s_table, 0.0))
        y = np.cumsum(self.sin_t) * TABLE_STEP_MM
        z = -np.cumsum(self.cos_t) * TABLE_STEP_MM
        self.y = y - y[origin] + y0
        self.z = z - z[origin] + z0
        self._stack_frame()

    def _stack_frame(self) -> None:
        columns = (self.x, self.dx, self.y, self.z, self.sin_t, self.cos_t)
        self._frame = np.stack(columns, axis=1).astype(np.float32)
        z_grid = np.arange(self.z.min() - 1, self.z.max() + 1, TABLE_STEP_MM)
        self._z0 = float(z_grid[0])
        # z falls monotonically along the centerline, so the reversed table is increasing
        s_of_z = np.interp(z_grid, self.z[::-1], self.s_table[::-1])
        self._s_of_z = s_of_z.astype(np.float32)

    def point(self, s: float) -> Floats:
        """LPS position of the centerline at height s."""
        x, _, y, z, _, _ = self.rows(self._frame, s)
        return np.array([x, y, z], dtype=float)

    def tangent(self, s: float) -> Floats:
        """Unit direction of the centerline at s, pointing towards the feet."""
        _, dx, _, _, sin_t, cos_t = self.rows(self._frame, s)
        t = np.array([dx, sin_t, -cos_t], dtype=float)
        unit: Floats = t / np.linalg.norm(t)
        return unit

    def posterior(self, s: float) -> Floats:
        """Unit direction of +u at s (towards the back, perpendicular to the tangent)."""
        _, _, _, _, sin_t, cos_t = self.rows(self._frame, s)
        return np.array([0.0, cos_t, sin_t], dtype=float)

    def tabulate(
        self, knots: NDArray[np.floating] | list[float], values: NDArray[np.floating] | list[float]
    ) -> Floats:
        """A per-height table through (knot, value) pairs, for ``lookup``."""
        table: Floats = np.interp(self.s_table, knots, values).astype(np.float32)
        return table

    def rows(self, table: Floats, s: Heights) -> Floats:
        """Rows of a table sampled on ``s_table`` at the nearest step to each height (any
        number of columns): shape ``s.shape + table.shape[1:]``. Steps are uniform and fine
        enough that the nearest row is as good as interpolating, and one gather is cheap."""
        position = (np.asarray(s, dtype=np.float32) - self._s0) * (1 / TABLE_STEP_MM) + 0.5
        index = np.clip(position, 0, len(table) - 1).astype(np.intp)
        result: Floats = np.take(table, index, axis=0)
        return result

    def lookup(self, table: Floats, s: Heights) -> Floats:
        return self.rows(table, s)

    def height_of_z(self, z: NDArray[np.floating]) -> Floats:
        """Height s of the centerline point at each z (the centerline never turns back)."""
        position = (np.asarray(z, dtype=np.float32) - self._z0) * (1 / TABLE_STEP_MM) + 0.5
        index = np.clip(position, 0, len(self._s_of_z) - 1).astype(np.intp)
        result: Floats = np.take(self._s_of_z, index)
        return result

    def local(self, points: Floats) -> Local:
        """Project LPS points (..., 3) onto the centerline: their (s, u, v)."""
        px, py, pz = points[..., 0], points[..., 1], points[..., 2]
        s = self.height_of_z(pz)
        for _ in range(PROJECTION_ITERATIONS):
            f = self.rows(self._frame, s)
            along = (px - f[..., 0]) * f[..., 1] + (py - f[..., 2]) * f[..., 4]
            s = s + along - (pz - f[..., 3]) * f[..., 5]
        f = self.rows(self._frame, s)
        u = (py - f[..., 2]) * f[..., 5] + (pz - f[..., 3]) * f[..., 4]
        return Local(s, u.astype(np.float32), (px - f[..., 0]).astype(np.float32))

    def to_lps(
        self, s: NDArray[np.floating], u: NDArray[np.floating], v: NDArray[np.floating]
    ) -> Floats:
        """LPS points (..., 3) of spine-frame coordinates (the inverse of ``local``)."""
        f = self.rows(self._frame, s)
        x = f[..., 0] + np.asarray(v, dtype=np.float32)
        y = f[..., 2] + np.asarray(u, dtype=np.float32) * f[..., 5]
        z = f[..., 3] + np.asarray(u, dtype=np.float32) * f[..., 4]
        points: Floats = np.stack([x, y, z], axis=-1).astype(np.float32)
        return points

    def axial(self, points: Floats) -> Local:
        """Points relative to the centerline in their own axial plane: ``s`` is the height of
        the centerline at the point's z, ``u`` and ``v`` the AP and lateral offsets from it.
        The torso's outline is upright in this frame even where the spine curves."""
        px, py, pz = points[..., 0], points[..., 1], points[..., 2]
        s = self.height_of_z(pz)
        f = self.rows(self._frame, s)
        return Local(s, (py - f[..., 2]).astype(np.float32), (px - f[..., 0]).astype(np.float32))

    # -- canal, sac and cord -------------------------------------------------------------

    def _build_canal(self) -> None:
        segs = self.spec.segments
        knots = self.mid

        def table(values: list[float]) -> Floats:
            result: Floats = np.interp(self.s_table, knots, values)
            return result

        self.canal_a = table([seg.canal_ap_mm / 2 for seg in segs])
        self.canal_b = table([seg.canal_width_mm / 2 for seg in segs])
        sac_a = table([seg.sac_ap_mm / 2 for seg in segs])
        sac_b = table([seg.sac_width_mm / 2 for seg in segs])
        self.sac_u = table([seg.ventral_fat_mm - seg.canal_ap_mm / 2 for seg in segs]) + sac_a
        sac_end = self.mid[SEGMENTS.index("S2")]
        closing = np.clip((sac_end - self.s_table) / SAC_END_TAPER_MM, 0, 1)
        self.sac_a, self.sac_b = sac_a * closing, sac_b * closing
        with_cord = [i for i, seg in enumerate(segs) if seg.cord_ap_mm > 0]
        cord_knots = knots[with_cord]
        cord_a = np.interp(self.s_table, cord_knots, [segs[i].cord_ap_mm / 2 for i in with_cord])
        tip = self.s_at(self.spec.conus_tip)
        taper = np.clip((tip - self.s_table) / CONUS_TAPER_MM, 0, 1) ** 0.6
        self.conus_tip_s = tip
        self.cord_a = np.where(self.s_table < tip, cord_a * taper, 0.0)
        cord_b = np.interp(self.s_table, cord_knots, [segs[i].cord_width_mm / 2 for i in with_cord])
        self.cord_b = np.where(self.s_table < tip, cord_b * taper, 0.0)
        self.cord_a = np.maximum(self.cord_a, np.where(self.s_table < sac_end, FILUM_RADIUS_MM, 0))
        self.cord_b = np.maximum(self.cord_b, np.where(self.s_table < sac_end, FILUM_RADIUS_MM, 0))

    def _freeze_tables(self) -> None:
        columns = (self.canal_a, self.canal_b, self.sac_u, self.sac_a, self.sac_b)
        self._canal = np.stack(columns[:2], axis=1).astype(np.float32)
        self._sac = np.stack(columns[2:], axis=1).astype(np.float32)
        self._cord = np.stack((self.sac_u, self.cord_a, self.cord_b), axis=1).astype(np.float32)

    def canal(self, s: Heights) -> tuple[Floats, Floats]:
        """Normal canal half-AP and half-width (mm) at heights s."""
        d = self.rows(self._canal, s)
        return d[..., 0], d[..., 1]

    def sac(self, s: Heights) -> tuple[Floats, Floats, Floats]:
        """Normal sac centre u, half-AP and half-width (mm) at heights s."""
        d = self.rows(self._sac, s)
        return d[..., 0], d[..., 1], d[..., 2]

    def cord(self, s: Heights) -> tuple[Floats, Floats, Floats]:
        """Normal cord centre u (the sac's), half-AP and half-width at heights s."""
        d = self.rows(self._cord, s)
        return d[..., 0], d[..., 1], d[..., 2]
