"""Where the cord sits, and what shape it has, in a sac that masses or bulging discs have
shrunk.

At every height where something intrudes into the canal, the remaining sac (the normal sac
minus what intrudes) is sampled on a grid. The cord keeps its place while it fits; pushed, it
slides into the room left along the midline; squeezed, it is deformed keeping its area
(flattened and widened, or narrowed and taller); and where the remaining sac is smaller than
the cord, the cord fills it all and no CSF is left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from workers.phantom.floats import Floats

if TYPE_CHECKING:
    from workers.phantom.canal import Canal

GRID = (61, 65)  # samples across the canal's AP and width when measuring what room is left
CHUNK = 48  # heights measured together (memory: CHUNK x GRID floats per array)
PROBE_ANGLES = np.linspace(-180.0, 180.0, 25)  # where to look for any intrusion at a height


@dataclass(frozen=True)
class CordTable:
    """Per height of the spine's table: cord centre u, half-AP, half-width, and 1 where the
    cord fills the remaining sac."""

    table: NDArray[np.float32]  # (heights, 4)


def place_cord(canal: Canal, window: tuple[float, float] | None) -> CordTable:
    sp = canal.spine
    table = np.stack([sp.sac_u, sp.cord_a, sp.cord_b, np.zeros_like(sp.cord_a)], axis=1).astype(
        np.float32
    )
    candidates = np.arange(sp.s_table.size)
    if window is not None:
        s = sp.s_table
        candidates = np.flatnonzero((s >= window[0]) & (s <= window[1]))
    touched = candidates[_intruded(canal, candidates)]
    for start in range(0, touched.size, CHUNK):
        index = touched[start : start + CHUNK]
        table[index] = _measure_chunk(canal, index)
    return CordTable(table)


def _intruded(canal: Canal, index: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Which of the table's heights ``index`` have anything intruding into the canal."""
    sp = canal.spine
    s = sp.s_table[index]
    deepest = np.zeros_like(s)
    if canal.masses:
        thickness, _ = canal.mass_thickness(s[:, None], PROBE_ANGLES[None, :])
        deepest = thickness.max(axis=1)
    if canal.bulges:
        deepest = np.maximum(deepest, canal.bulge_depth(s, np.zeros_like(s), sp.canal_b[index]))
    result: NDArray[np.bool_] = (deepest > 0.05) & (sp.cord_a[index] > 0) & (s > 0)
    return result


def _measure_chunk(canal: Canal, index: NDArray[np.intp]) -> NDArray[np.float32]:
    sp = canal.spine
    s = sp.s_table[index].astype(np.float32)
    a_c, b_c = sp.canal_a[index], sp.canal_b[index]
    gu = np.linspace(-1, 1, GRID[0], dtype=np.float32)
    gv = np.linspace(-1, 1, GRID[1], dtype=np.float32)
    u = a_c[:, None, None] * gu[None, :, None] * np.ones(GRID[1], dtype=np.float32)
    v = b_c[:, None, None] * gv[None, None, :] * np.ones((1, GRID[0], 1), dtype=np.float32)
    ss = np.broadcast_to(s[:, None, None], u.shape)
    hole = canal.parts(ss, u, v).sac
    du, dv = 2 * a_c / (GRID[0] - 1), 2 * b_c / (GRID[1] - 1)
    return _fit(
        hole, u[:, :, 0], du, dv, sac_u=sp.sac_u[index], a0=sp.cord_a[index], b0=sp.cord_b[index]
    )


def _fit(
    hole: NDArray[np.bool_],
    u_rows: Floats,
    du: Floats,
    dv: Floats,
    *,
    sac_u: Floats,
    a0: Floats,
    b0: Floats,
) -> NDArray[np.float32]:
    """Cord centre, half-axes and fill flag from the remaining sac of each height."""
    midline = hole[:, :, GRID[1] // 2]
    present = midline.any(axis=1)
    first = np.argmax(midline, axis=1)
    last = GRID[0] - 1 - np.argmax(midline[:, ::-1], axis=1)
    heights = np.arange(len(u_rows))
    lo = np.where(present, u_rows[heights, first] - du / 2, sac_u)
    hi = np.where(present, u_rows[heights, last] + du / 2, sac_u)
    half_room = (hi - lo) / 2
    pushed = np.clip(sac_u, lo + a0, np.maximum(hi - a0, lo + a0))
    centre = np.where(half_room < a0, (lo + hi) / 2, pushed)
    row = np.clip(np.rint((centre - u_rows[:, 0]) / du), 0, GRID[0] - 1).astype(np.intp)
    across = np.maximum(hole[heights, row, :].sum(axis=1) * dv / 2, 0.3)
    area = a0 * b0
    cord_a = np.minimum(a0, half_room)
    cord_b = np.minimum(area / np.maximum(cord_a, 1e-3), across)
    cord_a = np.minimum(area / np.maximum(cord_b, 1e-3), half_room)
    hole_area = hole.sum(axis=(1, 2)) * du * dv
    fills = hole_area <= np.pi * area
    return np.stack([centre, cord_a, cord_b, fills.astype(np.float32)], axis=1).astype(np.float32)
