/**
 * The price engine: costs each item line the way a print shop calculates a job, then adds VAT.
 * Pure and deterministic: no I/O, no clock, no randomness; integer arithmetic in minor units.
 *
 * Per line, for every press that can make the product, and for two-sided jobs sheetwise,
 * work-and-turn and work-and-tumble:
 *   imposition  — the press's sheet size with the least waste, and the guillotine layout with
 *                 the most pieces on it (imposition.ts);
 *   sheets      — ⌈pieces ÷ ups⌉ good sheets + make-ready sheets per make-ready
 *                 + running spoilage ⌈good × rate⌉;
 *   setup       — prepress + make-readies (one per printed side; one for a half-sheet method)
 *                 + finishing setups;
 *   run         — material (sheets × price per 1,000 sheets from area, grammage and price per kg)
 *                 + press (sheets × sides × cost per sheet side)
 *                 + finishing (per unit, per sheet, per m² of sheet);
 *   quantity breaks — graduated: run cost added beyond a break is reduced by its percentage;
 *   price list  — the customer's discounts on setup and run.
 * The way whose result is cheapest for the customer wins (ties: catalog order). A rush order
 * then pays the rush surcharge. Every step is non-decreasing in the quantity, and so is the
 * cheapest of them: ordering more never costs less.
 */
import { CURRENCY, VAT_BASIS_POINTS, findChoice, findProduct, resolveOptions, type Product } from '../catalog.js';
import type { OrderItem } from '../order.js';
import { bestSheet, type Imposition, type Piece } from './imposition.js';
import {
  FINISHING,
  MATERIALS,
  PARTNER_PRICE_LISTS,
  PRESSES,
  PRICE_LISTS,
  PRICE_LIST_VERSION,
  RUSH_SURCHARGE,
  type Finishing,
  type Material,
  type Press,
  type PriceList,
  type SheetSize,
} from './reference.js';
import { PricingError, type PriceBreakdown, type PriceContext, type PriceLine } from './types.js';

/** A line as this engine makes it: every production field present. */
export type PricedLine = Required<PriceLine>;
/** A breakdown as this engine makes it. */
export interface PricedBreakdown extends PriceBreakdown {
  lines: PricedLine[];
  priceList: string;
  priceListVersion: string;
  rush: boolean;
}

const MM2_PER_M2 = 1_000_000;

/** a ÷ b rounded half up, for non-negative safe integers (exact, unlike Math.round(a / b)). */
export function divRound(a: number, b: number): number {
  return Math.floor((2 * a + b) / (2 * b));
}

/** The price list of a customer: a partner's own, else the partner default; the shop pays list. */
export function priceListFor(partnerId: string | undefined): PriceList {
  if (partnerId === undefined) return PRICE_LISTS.list!;
  const id = Object.hasOwn(PARTNER_PRICE_LISTS, partnerId) ? PARTNER_PRICE_LISTS[partnerId]! : 'partner-standard';
  return PRICE_LISTS[id]!;
}

/** What an item is made of and how, once its options are resolved. */
interface Job {
  product: Product;
  options: Record<string, string>;
  material: Material;
  sides: 1 | 2;
  finishing: Finishing[];
  piece: Piece;
}

function lookup<T>(table: Readonly<Record<string, T>>, id: string, what: string, sku: string): T {
  if (!Object.hasOwn(table, id)) throw new PricingError(`${sku} refers to unknown ${what} "${id}"`);
  return table[id]!;
}

function resolveJob(item: OrderItem): Job {
  const product = findProduct(item.sku);
  if (!product) throw new PricingError(`unknown product "${item.sku}"`);
  const options = resolveOptions(product, item.options);
  const spec = product.production;
  let materialId = spec.material;
  let sides = spec.sides;
  const finishingIds = [...spec.finishing];
  for (const [name, value] of Object.entries(options)) {
    const choice = findChoice(product, name, value);
    if (!choice) throw new PricingError(`unknown value "${value}" for option "${name}" of ${product.sku}`);
    if (choice.material) materialId = choice.material;
    if (choice.sides) sides = choice.sides;
    for (const f of choice.finishing ?? []) if (!finishingIds.includes(f)) finishingIds.push(f);
  }
  return {
    product,
    options,
    material: lookup(MATERIALS, materialId, 'material', product.sku),
    sides,
    finishing: finishingIds.map((f) => lookup(FINISHING, f, 'finishing', product.sku)),
    piece: { width: spec.trimMm.width, height: spec.trimMm.height, bleed: spec.bleedMm, gutter: spec.gutterMm },
  };
}

/**
 * How a job runs on a press: the imposition (pieces per sheet) and how many make-readies it
 * needs. Sheetwise, a two-sided job needs a make-ready per side; a half-sheet method
 * (work-and-turn or work-and-tumble) puts front and back side by side on one half each, so one
 * make-ready prints both sides and every sheet, turned or tumbled, yields two copies of the
 * half-sheet layout.
 */
interface Run {
  press: Press;
  imposition: Imposition;
  makeReadies: number;
  layout: string;
}

/** Sheets and run cost of `quantity` units in one way of running the job. */
function runCost(job: Job, run: Run, quantity: number) {
  const { press, imposition } = run;
  const area = imposition.sheet.width * imposition.sheet.height;
  const goodSheets = Math.ceil((quantity * job.product.production.piecesPerUnit) / imposition.ups);
  const spoilageSheets = press.makeReadySheets * run.makeReadies + Math.ceil((goodSheets * press.runSpoilageBasisPoints) / 10_000);
  const sheets = goodSheets + spoilageSheets;
  // mm² × g/m² × minor/kg: ÷ 10⁶ (mm² → m²) ÷ 1,000 (g → kg) × 1,000 sheets.
  const materialPerThousandSheets = divRound(area * job.material.gsm * job.material.pricePerKgMinor, MM2_PER_M2);
  const materialMinor = divRound(sheets * materialPerThousandSheets, 1000);
  const perSheetSide = press.perSheetSideMinor + divRound(area * press.perSquareMetreSideMinor, MM2_PER_M2);
  const pressMinor = sheets * job.sides * perSheetSide;
  let finishingMinor = 0;
  for (const f of job.finishing) {
    finishingMinor += f.perUnitMinor * quantity + f.perSheetMinor * sheets + divRound(sheets * area * f.perSquareMetreMinor, MM2_PER_M2);
  }
  return { sheets, spoilageSheets, materialMinor, pressMinor, finishingMinor, runMinor: materialMinor + pressMinor + finishingMinor };
}

/**
 * Run cost after the graduated quantity breaks: the run cost that the units beyond a break
 * add is reduced by that break's percentage.
 */
function afterQuantityBreaks(job: Job, run: Run, quantity: number, runMinor: number) {
  const breaks = [...job.product.quantityBreaks].sort((a, b) => a.minQuantity - b.minQuantity);
  let discountHundredths = 0;
  let reached = 0;
  for (let k = 0; k < breaks.length; k++) {
    const from = breaks[k]!.minQuantity;
    if (quantity < from) break;
    reached = breaks[k]!.discountPercent;
    const next = breaks[k + 1]?.minQuantity;
    const upTo = next !== undefined && next < quantity ? runCost(job, run, next).runMinor : runMinor;
    discountHundredths += reached * (upTo - runCost(job, run, from).runMinor);
  }
  const netRun = divRound(runMinor * 100 - discountHundredths, 100);
  return { netRun, quantityDiscountMinor: runMinor - netRun, discountPercent: reached };
}

function costLine(job: Job, run: Run, quantity: number, priceList: PriceList): PricedLine {
  const cost = runCost(job, run, quantity);
  const setupMinor = job.product.setupMinor + run.press.makeReadyMinor * run.makeReadies + job.finishing.reduce((s, f) => s + f.setupMinor, 0);
  const q = afterQuantityBreaks(job, run, quantity, cost.runMinor);
  const setupDiscount = divRound(setupMinor * priceList.setupDiscountBasisPoints, 10_000);
  const runDiscount = divRound(q.netRun * priceList.runDiscountBasisPoints, 10_000);
  const { sheet } = run.imposition;
  return {
    sku: job.product.sku,
    quantity,
    options: job.options,
    setupMinor,
    runMinor: cost.runMinor,
    discountPercent: q.discountPercent,
    totalMinor: setupMinor - setupDiscount + q.netRun - runDiscount,
    press: run.press.name,
    sheet: `${sheet.name} ${sheet.width}×${sheet.height} mm`,
    layout: run.layout,
    upsPerSheet: run.imposition.ups,
    sheets: cost.sheets,
    spoilageSheets: cost.spoilageSheets,
    wastePercent: run.imposition.wasteBasisPoints / 100,
    material: job.material.name,
    materialMinor: cost.materialMinor,
    pressMinor: cost.pressMinor,
    finishing: job.finishing.map((f) => f.name),
    finishingMinor: cost.finishingMinor,
    quantityDiscountMinor: q.quantityDiscountMinor,
    priceListDiscountMinor: setupDiscount + runDiscount,
    rushSurchargeMinor: 0,
  };
}

/**
 * Two-sided work with one plate set: front and back imposed side by side on the two halves of
 * the sheet. Work-and-turn splits the sheet across its width and turns it side to side;
 * work-and-tumble splits it across its height and tumbles it end over end.
 */
const HALF_SHEET_METHODS = [
  { name: 'work-and-turn', half: (s: SheetSize) => ({ name: s.name, width: Math.floor(s.width / 2), height: s.height }) },
  { name: 'work-and-tumble', half: (s: SheetSize) => ({ name: s.name, width: s.width, height: Math.floor(s.height / 2) }) },
] as const;

/** The ways the job can run on the press: sheetwise, and for two-sided jobs each half-sheet method. */
function runsOn(job: Job, press: Press): Run[] {
  const runs: Run[] = [];
  const full = bestSheet(job.piece, press.sheets, press);
  if (full) runs.push({ press, imposition: full, makeReadies: job.sides, layout: full.layout });
  if (job.sides === 2) {
    for (const method of HALF_SHEET_METHODS) {
      const halves = press.sheets.map(method.half);
      const half = bestSheet(job.piece, halves, press);
      if (!half) continue;
      const sheet = press.sheets[halves.indexOf(half.sheet)]!;
      const ups = 2 * half.ups;
      const wasteBasisPoints = 10_000 - Math.floor((ups * job.piece.width * job.piece.height * 10_000) / (sheet.width * sheet.height));
      runs.push({ press, imposition: { ...half, sheet, ups, wasteBasisPoints }, makeReadies: 1, layout: `${method.name}, each half ${half.layout}` });
    }
  }
  return runs;
}

/** Prices one item line (see the module comment for the method). */
export function priceItem(item: OrderItem, context: PriceContext = {}): PricedLine {
  const job = resolveJob(item);
  const priceList = priceListFor(context.partnerId);
  let chosen: PricedLine | undefined;
  for (const pressId of job.product.production.presses) {
    const press = lookup(PRESSES, pressId, 'press', job.product.sku);
    if (!press.accepts.includes(job.material.kind) || job.material.gsm > press.maxGsm) continue;
    for (const run of runsOn(job, press)) {
      const line = costLine(job, run, item.quantity, priceList);
      if (!chosen || line.totalMinor < chosen.totalMinor) chosen = line;
    }
  }
  if (!chosen) throw new PricingError(`no press can make ${job.product.sku} on ${job.material.name}`);
  if (context.rush) {
    const surcharge = Math.max(RUSH_SURCHARGE.minimumMinor, divRound(chosen.totalMinor * RUSH_SURCHARGE.basisPoints, 10_000));
    chosen = { ...chosen, rushSurchargeMinor: surcharge, totalMinor: chosen.totalMinor + surcharge };
  }
  return chosen;
}

/** Prices a whole order: every line, the subtotal, VAT (rounded half up, once) and the total. */
export function priceOrder(items: readonly OrderItem[], context: PriceContext = {}): PricedBreakdown {
  const lines = items.map((item) => priceItem(item, context));
  const subtotalMinor = lines.reduce((s, l) => s + l.totalMinor, 0);
  const vatMinor = divRound(subtotalMinor * VAT_BASIS_POINTS, 10_000);
  return {
    currency: CURRENCY,
    lines,
    subtotalMinor,
    vatMinor,
    totalMinor: subtotalMinor + vatMinor,
    priceList: priceListFor(context.partnerId).id,
    priceListVersion: PRICE_LIST_VERSION,
    rush: context.rush === true,
  };
}
