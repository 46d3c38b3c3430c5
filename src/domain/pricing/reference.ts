/**
 * Reference data of the price engine: stocks, presses, finishing operations, price lists and
 * surcharges. Versioned with the code; bump PRICE_LIST_VERSION whenever a figure here (or a
 * product's production spec or quantity breaks) changes, so cached prices made with old
 * figures are never served again.
 */

/** Version of every figure the engine prices with; part of every cache key. */
export const PRICE_LIST_VERSION = '2026-11-b';

export type MaterialKind = 'paper' | 'board' | 'vinyl' | 'pvc';

/** A stock, bought by weight: a sheet's price follows from its area and grammage. */
export interface Material {
  id: string;
  name: string;
  kind: MaterialKind;
  /** Grammage, g/m². */
  gsm: number;
  /** Purchase price per kilogram, minor units. */
  pricePerKgMinor: number;
}

const material = (id: string, name: string, kind: MaterialKind, gsm: number, pricePerKgMinor: number): Material => ({ id, name, kind, gsm, pricePerKgMinor });

export const MATERIALS: Readonly<Record<string, Material>> = Object.fromEntries(
  [
    material('matte-350', 'Matte board 350 g/m²', 'board', 350, 160),
    material('gloss-350', 'Gloss board 350 g/m²', 'board', 350, 175),
    material('recycled-300', 'Recycled board 300 g/m²', 'board', 300, 150),
    material('gloss-135', 'Gloss paper 135 g/m²', 'paper', 135, 120),
    material('matte-170', 'Matte paper 170 g/m²', 'paper', 170, 130),
    material('silk-135', 'Silk paper 135 g/m²', 'paper', 135, 118),
    material('silk-170', 'Silk paper 170 g/m²', 'paper', 170, 125),
    material('photo-200', 'Photo paper 200 g/m²', 'paper', 200, 420),
    material('vinyl-white', 'White self-adhesive vinyl', 'vinyl', 180, 800),
    material('vinyl-clear', 'Clear self-adhesive vinyl', 'vinyl', 180, 950),
    material('pvc-510', 'PVC banner 510 g/m²', 'pvc', 510, 600),
  ].map((m) => [m.id, m]),
);

/** A sheet size a press takes, millimetres. */
export interface SheetSize {
  name: string;
  width: number;
  height: number;
}

/** A press (or printer) with the standard sheet sizes it takes (as the paper merchants sell them) and its cost figures. */
export interface Press {
  id: string;
  name: string;
  sheets: SheetSize[];
  /** Unprintable margin on every edge, millimetres. */
  marginMm: number;
  /** Extra unprintable strip on one long edge where the press grips the sheet, millimetres. */
  gripperMm: number;
  /** Stocks the press can print on. */
  accepts: MaterialKind[];
  maxGsm: number;
  /** Make-ready (plates, registration, colour) per make-ready of a job, minor units. */
  makeReadyMinor: number;
  /** Sheets spoiled by one make-ready. */
  makeReadySheets: number;
  /** Running spoilage, basis points of the good sheets (rounded up). */
  runSpoilageBasisPoints: number;
  /** Press cost per sheet and printed side (click charge, ink, machine time), minor units… */
  perSheetSideMinor: number;
  /** …plus this much per square metre of sheet and printed side (ink of large-format printers). */
  perSquareMetreSideMinor: number;
}

export const PRESSES: Readonly<Record<string, Press>> = Object.fromEntries(
  (
    [
      {
        id: 'digital-sra3',
        name: 'Digital colour press (SRA3)',
        sheets: [
          { name: 'SRA3', width: 450, height: 320 },
          { name: 'SRA3+', width: 488, height: 330 },
          { name: 'A3', width: 420, height: 297 },
          { name: '12×18 in', width: 457, height: 305 },
          { name: '13×19 in', width: 483, height: 330 },
          { name: 'long sheet', width: 660, height: 320 },
        ],
        marginMm: 4,
        gripperMm: 0,
        accepts: ['paper', 'board', 'vinyl'],
        maxGsm: 350,
        makeReadyMinor: 400,
        makeReadySheets: 5,
        runSpoilageBasisPoints: 100,
        perSheetSideMinor: 9,
        perSquareMetreSideMinor: 0,
      },
      {
        id: 'offset-b2',
        name: 'Sheet-fed offset, 4 colours (B2)',
        sheets: [
          { name: 'B2', width: 720, height: 520 },
          { name: 'B2 short', width: 700, height: 500 },
          { name: 'SRA2', width: 640, height: 450 },
          { name: 'RA2', width: 610, height: 430 },
          { name: '68×48', width: 680, height: 480 },
          { name: '65×46', width: 650, height: 460 },
          { name: '72×51', width: 720, height: 510 },
        ],
        marginMm: 5,
        gripperMm: 10,
        accepts: ['paper', 'board'],
        maxGsm: 400,
        makeReadyMinor: 3500,
        makeReadySheets: 100,
        runSpoilageBasisPoints: 250,
        perSheetSideMinor: 3,
        perSquareMetreSideMinor: 0,
      },
      {
        id: 'offset-b1',
        name: 'Sheet-fed offset, 4 colours (B1)',
        sheets: [
          { name: 'B1', width: 1020, height: 720 },
          { name: 'B1 short', width: 1000, height: 700 },
          { name: 'RA1', width: 880, height: 630 },
          { name: 'SRA1', width: 900, height: 640 },
          { name: '96×68', width: 960, height: 680 },
          { name: '92×65', width: 920, height: 650 },
          { name: '86×61', width: 860, height: 610 },
          { name: '102×70', width: 1020, height: 700 },
        ],
        marginMm: 5,
        gripperMm: 12,
        accepts: ['paper', 'board'],
        maxGsm: 400,
        makeReadyMinor: 6500,
        makeReadySheets: 150,
        runSpoilageBasisPoints: 200,
        perSheetSideMinor: 5,
        perSquareMetreSideMinor: 0,
      },
      {
        id: 'wide-format',
        name: 'Large-format roll printer',
        sheets: [
          { name: 'roll 1.37 m, 1 m cut', width: 1370, height: 1000 },
          { name: 'roll 1.6 m, 1.2 m cut', width: 1600, height: 1200 },
          { name: 'roll 2.5 m, 1.1 m cut', width: 2500, height: 1100 },
          { name: 'roll 3.2 m, 2.2 m cut', width: 3200, height: 2200 },
        ],
        marginMm: 10,
        gripperMm: 0,
        accepts: ['paper', 'vinyl', 'pvc'],
        maxGsm: 600,
        makeReadyMinor: 1500,
        makeReadySheets: 1,
        runSpoilageBasisPoints: 200,
        perSheetSideMinor: 0,
        perSquareMetreSideMinor: 450,
      },
    ] satisfies Press[]
  ).map((p) => [p.id, p]),
);

/** A finishing operation: one-off setup, then per unit, per sheet and per square metre of sheet. */
export interface Finishing {
  id: string;
  name: string;
  setupMinor: number;
  perUnitMinor: number;
  perSheetMinor: number;
  perSquareMetreMinor: number;
}

const finishing = (id: string, name: string, f: Partial<Omit<Finishing, 'id' | 'name'>>): Finishing => ({
  id,
  name,
  setupMinor: f.setupMinor ?? 0,
  perUnitMinor: f.perUnitMinor ?? 0,
  perSheetMinor: f.perSheetMinor ?? 0,
  perSquareMetreMinor: f.perSquareMetreMinor ?? 0,
});

export const FINISHING: Readonly<Record<string, Finishing>> = Object.fromEntries(
  [
    finishing('cut', 'Guillotine cutting', { setupMinor: 500, perSheetMinor: 2 }),
    finishing('soft-touch', 'Soft-touch lamination', { setupMinor: 2500, perSquareMetreMinor: 90 }),
    finishing('foil', 'Gold foil stamping', { setupMinor: 4000, perUnitMinor: 6 }),
    finishing('die-cut', 'Die cutting', { setupMinor: 3000, perSheetMinor: 6 }),
    finishing('fold', 'Folding', { setupMinor: 800, perUnitMinor: 2 }),
    finishing('saddle-stitch', 'Saddle stitching', { setupMinor: 1500, perUnitMinor: 8 }),
    finishing('perfect-bind', 'Perfect binding', { setupMinor: 3000, perUnitMinor: 45 }),
    finishing('card-cover', 'Card cover 300 g/m²', { setupMinor: 1000, perUnitMinor: 18 }),
    finishing('hem', 'Welded hem', { setupMinor: 500, perUnitMinor: 300 }),
    finishing('eyelets-corners', 'Eyelets, four corners', { perUnitMinor: 80 }),
    finishing('eyelets-50cm', 'Eyelets every 50 cm', { perUnitMinor: 400 }),
  ].map((f) => [f.id, f]),
);

/** A price list: what a class of customer pays relative to the list price. */
export interface PriceList {
  id: string;
  name: string;
  /** Discount on the run cost after quantity breaks, basis points. */
  runDiscountBasisPoints: number;
  /** Discount on the setup cost, basis points. */
  setupDiscountBasisPoints: number;
}

export const PRICE_LISTS: Readonly<Record<string, PriceList>> = {
  list: { id: 'list', name: 'List price', runDiscountBasisPoints: 0, setupDiscountBasisPoints: 0 },
  'partner-standard': { id: 'partner-standard', name: 'Partner', runDiscountBasisPoints: 300, setupDiscountBasisPoints: 0 },
  'partner-gold': { id: 'partner-gold', name: 'Partner gold', runDiscountBasisPoints: 800, setupDiscountBasisPoints: 5000 },
};

/** Partners with a negotiated price list; every other partner gets `partner-standard`. */
export const PARTNER_PRICE_LISTS: Readonly<Record<string, string>> = {
  acme: 'partner-gold',
  globex: 'partner-standard',
};

/** Surcharge of a `rush` order on each line after discounts: a share, at least a minimum. */
export const RUSH_SURCHARGE = { basisPoints: 2500, minimumMinor: 1500 } as const;
