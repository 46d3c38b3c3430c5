/**
 * Imposition: how many pieces fit on a press sheet, and where. An exhaustive guillotine search
 * (every layout a guillotine can cut: blocks of upright and turned pieces, nested to any depth)
 * over the raster points of the piece sizes, the classic exact method for this problem. Pure
 * and deterministic.
 */
import type { SheetSize } from './reference.js';

/** The piece to impose: trimmed size plus bleed on every side and a gutter between bleed boxes. */
export interface Piece {
  width: number;
  height: number;
  bleed: number;
  gutter: number;
}

/** Where the press can print on the sheet. */
export interface PrintArea {
  marginMm: number;
  gripperMm: number;
}

/** A rectangular block of pieces, all upright or all turned by 90°; x/y of its first bleed box. */
export interface Block {
  x: number;
  y: number;
  columns: number;
  rows: number;
  rotated: boolean;
}

/** One piece's bleed box on the sheet, millimetres from the sheet's top-left corner. */
export interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Imposition {
  sheet: SheetSize;
  /** Pieces per sheet. */
  ups: number;
  blocks: Block[];
  /** Share of the sheet that is not trimmed product, basis points. */
  wasteBasisPoints: number;
  /** For people: `8×4 upright + 2×5 turned`. */
  layout: string;
}

/** All sums i·a + j·b ≤ limit (i, j ≥ 0, not both 0), ascending: the only cut positions worth trying. */
function rasterPoints(limit: number, a: number, b: number): number[] {
  const seen = new Uint8Array(limit + 1);
  for (let i = 0; i * a <= limit; i++) for (let j = 0; i * a + j * b <= limit; j++) seen[i * a + j * b] = 1;
  seen[0] = 0;
  const out: number[] = [];
  for (let v = 1; v <= limit; v++) if (seen[v]) out.push(v);
  return out;
}

/** For every length 0…limit, the index of the largest raster point not above it (−1 for none). */
function floorIndex(points: readonly number[], limit: number): Int32Array {
  const out = new Int32Array(limit + 1).fill(-1);
  let k = -1;
  for (let v = 0; v <= limit; v++) {
    while (k + 1 < points.length && points[k + 1]! <= v) k++;
    out[v] = k;
  }
  return out;
}

const FILL_UPRIGHT = 0;
const FILL_TURNED = 1;
const CUT_VERTICAL = 2;
const CUT_HORIZONTAL = 3;

/** Imposes `piece` on `sheet` with the most pieces a guillotine layout allows. */
export function impose(piece: Piece, sheet: SheetSize, area: PrintArea): Imposition {
  // Each piece occupies its bleed box plus one gutter; the area gets one gutter back so the
  // last piece of a row needs none.
  const cellW = piece.width + 2 * piece.bleed + piece.gutter;
  const cellH = piece.height + 2 * piece.bleed + piece.gutter;
  const areaW = sheet.width - 2 * area.marginMm + piece.gutter;
  const areaH = sheet.height - 2 * area.marginMm - area.gripperMm + piece.gutter;
  const empty: Imposition = { sheet, ups: 0, blocks: [], wasteBasisPoints: 10_000, layout: 'does not fit' };
  if (areaW < Math.min(cellW, cellH) || areaH < Math.min(cellW, cellH)) return empty;

  const px = rasterPoints(areaW, cellW, cellH);
  const py = rasterPoints(areaH, cellW, cellH);
  const fx = floorIndex(px, areaW);
  const fy = floorIndex(py, areaH);
  const nx = px.length;
  const ny = py.length;
  const best = new Int32Array(nx * ny);
  const kind = new Uint8Array(nx * ny);
  const at = new Int32Array(nx * ny);

  for (let i = 0; i < nx; i++) {
    const x = px[i]!;
    for (let j = 0; j < ny; j++) {
      const y = py[j]!;
      const cell = i * ny + j;
      let value = Math.floor(x / cellW) * Math.floor(y / cellH);
      let how = FILL_UPRIGHT;
      let where = 0;
      const turned = Math.floor(x / cellH) * Math.floor(y / cellW);
      if (turned > value) {
        value = turned;
        how = FILL_TURNED;
      }
      // Vertical cuts: left part px[k] wide, right part the rest (down to its raster point).
      for (let k = 0; k < nx && px[k]! * 2 <= x; k++) {
        const r = fx[x - px[k]!]!;
        if (r < 0) continue;
        const v = best[k * ny + j]! + best[r * ny + j]!;
        if (v > value) {
          value = v;
          how = CUT_VERTICAL;
          where = k;
        }
      }
      for (let k = 0; k < ny && py[k]! * 2 <= y; k++) {
        const r = fy[y - py[k]!]!;
        if (r < 0) continue;
        const v = best[i * ny + k]! + best[i * ny + r]!;
        if (v > value) {
          value = v;
          how = CUT_HORIZONTAL;
          where = k;
        }
      }
      best[cell] = value;
      kind[cell] = how;
      at[cell] = where;
    }
  }

  const iAll = fx[areaW]!;
  const jAll = fy[areaH]!;
  if (iAll < 0 || jAll < 0 || best[iAll * ny + jAll] === 0) return empty;

  const blocks: Block[] = [];
  const walk = (i: number, j: number, x0: number, y0: number) => {
    const cell = i * ny + j;
    if (best[cell] === 0) return;
    const x = px[i]!;
    const y = py[j]!;
    switch (kind[cell]) {
      case FILL_UPRIGHT:
        blocks.push({ x: x0, y: y0, columns: Math.floor(x / cellW), rows: Math.floor(y / cellH), rotated: false });
        return;
      case FILL_TURNED:
        blocks.push({ x: x0, y: y0, columns: Math.floor(x / cellH), rows: Math.floor(y / cellW), rotated: true });
        return;
      case CUT_VERTICAL: {
        const k = at[cell]!;
        walk(k, j, x0, y0);
        walk(fx[x - px[k]!]!, j, x0 + px[k]!, y0);
        return;
      }
      default: {
        const k = at[cell]!;
        walk(i, k, x0, y0);
        walk(i, fy[y - py[k]!]!, x0, y0 + py[k]!);
      }
    }
  };
  walk(iAll, jAll, area.marginMm, area.marginMm + area.gripperMm);

  mergeBlocks(blocks, cellW, cellH);
  const ups = best[iAll * ny + jAll]!;
  const trimArea = piece.width * piece.height;
  const wasteBasisPoints = 10_000 - Math.floor((ups * trimArea * 10_000) / (sheet.width * sheet.height));
  const layout = blocks.map((b) => `${b.columns}×${b.rows} ${b.rotated ? 'turned' : 'upright'}`).join(' + ');
  return { sheet, ups, blocks, wasteBasisPoints, layout };
}

/**
 * Joins neighbouring blocks that continue each other (same orientation, side by side with the
 * same rows, or stacked with the same columns), so the layout reads as a person would draw it.
 */
function mergeBlocks(blocks: Block[], cellW: number, cellH: number): void {
  for (let merged = true; merged;) {
    merged = false;
    for (let i = 0; i < blocks.length && !merged; i++) {
      for (let j = 0; j < blocks.length && !merged; j++) {
        const a = blocks[i]!;
        const b = blocks[j]!;
        if (i === j || a.rotated !== b.rotated) continue;
        const w = a.rotated ? cellH : cellW;
        const h = a.rotated ? cellW : cellH;
        if (a.y === b.y && a.rows === b.rows && b.x === a.x + a.columns * w) {
          blocks[i] = { ...a, columns: a.columns + b.columns };
        } else if (a.x === b.x && a.columns === b.columns && b.y === a.y + a.rows * h) {
          blocks[i] = { ...a, rows: a.rows + b.rows };
        } else {
          continue;
        }
        blocks.splice(j, 1);
        merged = true;
      }
    }
  }
  blocks.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** Every piece's bleed box of an imposition (for checks and drawings). */
export function placements(piece: Piece, imposition: Imposition): Placement[] {
  const w = piece.width + 2 * piece.bleed;
  const h = piece.height + 2 * piece.bleed;
  const out: Placement[] = [];
  for (const b of imposition.blocks) {
    const bw = b.rotated ? h : w;
    const bh = b.rotated ? w : h;
    for (let c = 0; c < b.columns; c++) {
      for (let r = 0; r < b.rows; r++) out.push({ x: b.x + c * (bw + piece.gutter), y: b.y + r * (bh + piece.gutter), width: bw, height: bh });
    }
  }
  return out;
}

/**
 * The sheet of `sheets` with the least waste for the piece (ties: the smaller sheet, then the
 * earlier one); undefined when the piece fits on none.
 */
export function bestSheet(piece: Piece, sheets: readonly SheetSize[], area: PrintArea): Imposition | undefined {
  let chosen: Imposition | undefined;
  for (const sheet of sheets) {
    const candidate = impose(piece, sheet, area);
    if (candidate.ups === 0) continue;
    if (
      !chosen ||
      candidate.wasteBasisPoints < chosen.wasteBasisPoints ||
      (candidate.wasteBasisPoints === chosen.wasteBasisPoints && sheet.width * sheet.height < chosen.sheet.width * chosen.sheet.height)
    ) {
      chosen = candidate;
    }
  }
  return chosen;
}
