/**
 * The product catalog: what can be ordered, its options and the production figures the
 * pipeline plans with. Static reference data, versioned with the code.
 */

/** One choice of an option, with what it changes in production (and so in cost and time). */
export interface OptionValue {
  label: string;
  /** Stock printed on (an id of the price engine's materials); replaces the product's default. */
  material?: string;
  /** Printed sides (1 or 2); replaces the product's default. */
  sides?: 1 | 2;
  /** Finishing operations this choice adds (ids of the price engine's finishing list). */
  finishing?: string[];
  /** Extra production minutes per 1,000 units. */
  extraMinutesPerThousand?: number;
}

export interface ProductOption {
  label: string;
  default: string;
  values: Record<string, OptionValue>;
}

export interface QuantityBreak {
  /** Beyond this quantity… */
  minQuantity: number;
  /** …the run cost is reduced by this many percent. */
  discountPercent: number;
}

/** How a product is made: the flat piece imposed on press sheets and what it is printed on. */
export interface ProductionSpec {
  /** Trimmed size of one imposed piece, millimetres. */
  trimMm: { width: number; height: number };
  /** Bleed around each piece on every side, millimetres. */
  bleedMm: number;
  /** Space between the bleed boxes of neighbouring pieces, millimetres. */
  gutterMm: number;
  /** Imposed pieces per ordered unit (a 16-page A4 brochure is 4 A3 spreads). */
  piecesPerUnit: number;
  /** Default stock; an option value with `material` replaces it. */
  material: string;
  /** Default printed sides; an option value with `sides` replaces it. */
  sides: 1 | 2;
  /** Presses that can make the product (ids of the price engine's presses). */
  presses: string[];
  /** Finishing every unit gets, whatever the options (ids of the price engine's finishing list). */
  finishing: string[];
}

export interface Product {
  sku: string;
  name: string;
  description: string;
  minQuantity: number;
  maxQuantity: number;
  /** Working days of lead time before production can start (planning, proofing, material). */
  leadTimeDays: number;
  /** Machine setup time in minutes, paid once per item line. */
  setupMinutes: number;
  /** Units produced per minute once the machine runs. */
  unitsPerMinute: number;
  /** Prepress (file check, proof, imposition) per item line, in minor units. */
  setupMinor: number;
  /**
   * Quantity breaks. The run cost of the units beyond a break is reduced by its percentage
   * (graduated, like tax brackets), so ordering more never costs less in total.
   */
  quantityBreaks: QuantityBreak[];
  production: ProductionSpec;
  options: Record<string, ProductOption>;
}

/** Currency of every price in the catalog. */
export const CURRENCY = 'EUR';
/** VAT rate applied to every order, in basis points (19 %). */
export const VAT_BASIS_POINTS = 1900;

const standardBreaks: QuantityBreak[] = [
  { minQuantity: 250, discountPercent: 10 },
  { minQuantity: 1000, discountPercent: 20 },
  { minQuantity: 5000, discountPercent: 30 },
];

export const CATALOG: readonly Product[] = [
  {
    sku: 'BC-STD',
    name: 'Business cards 85×55 mm',
    description: 'Classic business cards on 350 g/m² card.',
    minQuantity: 50,
    maxQuantity: 100_000,
    leadTimeDays: 1,
    setupMinutes: 15,
    unitsPerMinute: 200,
    setupMinor: 1500,
    quantityBreaks: standardBreaks,
    production: {
      trimMm: { width: 85, height: 55 },
      bleedMm: 2,
      gutterMm: 2,
      piecesPerUnit: 1,
      material: 'matte-350',
      sides: 2,
      presses: ['digital-sra3', 'offset-b2', 'offset-b1'],
      finishing: ['cut'],
    },
    options: {
      paper: {
        label: 'Paper',
        default: 'matte-350',
        values: {
          'matte-350': { label: 'Matte 350 g/m²', material: 'matte-350' },
          'gloss-350': { label: 'Gloss 350 g/m²', material: 'gloss-350' },
          'recycled-300': { label: 'Recycled 300 g/m²', material: 'recycled-300' },
        },
      },
      sides: {
        label: 'Printed sides',
        default: '2',
        values: { '1': { label: 'Front only', sides: 1 }, '2': { label: 'Front and back', sides: 2 } },
      },
      finish: {
        label: 'Finish',
        default: 'none',
        values: {
          none: { label: 'None' },
          'soft-touch': { label: 'Soft-touch laminate', finishing: ['soft-touch'], extraMinutesPerThousand: 10 },
          foil: { label: 'Gold foil', finishing: ['foil'], extraMinutesPerThousand: 30 },
        },
      },
    },
  },
  {
    sku: 'FLY-A5',
    name: 'Flyers A5',
    description: 'A5 flyers on 135 g/m² paper.',
    minQuantity: 100,
    maxQuantity: 500_000,
    leadTimeDays: 2,
    setupMinutes: 20,
    unitsPerMinute: 400,
    setupMinor: 2000,
    quantityBreaks: standardBreaks,
    production: {
      trimMm: { width: 148, height: 210 },
      bleedMm: 3,
      gutterMm: 4,
      piecesPerUnit: 1,
      material: 'gloss-135',
      sides: 2,
      presses: ['digital-sra3', 'offset-b2', 'offset-b1'],
      finishing: ['cut'],
    },
    options: {
      paper: {
        label: 'Paper',
        default: 'gloss-135',
        values: {
          'gloss-135': { label: 'Gloss 135 g/m²', material: 'gloss-135' },
          'matte-170': { label: 'Matte 170 g/m²', material: 'matte-170' },
        },
      },
      sides: {
        label: 'Printed sides',
        default: '2',
        values: { '1': { label: 'Front only', sides: 1 }, '2': { label: 'Front and back', sides: 2 } },
      },
    },
  },
  {
    sku: 'POS-A2',
    name: 'Posters A2',
    description: 'A2 posters on 170 g/m² silk paper.',
    minQuantity: 1,
    maxQuantity: 10_000,
    leadTimeDays: 2,
    setupMinutes: 25,
    unitsPerMinute: 10,
    setupMinor: 2500,
    quantityBreaks: [
      { minQuantity: 50, discountPercent: 10 },
      { minQuantity: 500, discountPercent: 25 },
    ],
    production: {
      trimMm: { width: 420, height: 594 },
      bleedMm: 3,
      gutterMm: 6,
      piecesPerUnit: 1,
      material: 'silk-170',
      sides: 1,
      presses: ['offset-b1', 'wide-format'],
      finishing: ['cut'],
    },
    options: {
      paper: {
        label: 'Paper',
        default: 'silk-170',
        values: {
          'silk-170': { label: 'Silk 170 g/m²', material: 'silk-170' },
          'photo-200': { label: 'Photo 200 g/m²', material: 'photo-200' },
        },
      },
    },
  },
  {
    sku: 'BRO-A4-16',
    name: 'Brochures A4, 16 pages',
    description: 'Saddle-stitched A4 brochures with 16 pages.',
    minQuantity: 25,
    maxQuantity: 100_000,
    leadTimeDays: 4,
    setupMinutes: 45,
    unitsPerMinute: 30,
    setupMinor: 6000,
    quantityBreaks: standardBreaks,
    production: {
      // 16 A4 pages = 4 A3 spreads, printed both sides, folded and gathered.
      trimMm: { width: 420, height: 297 },
      bleedMm: 3,
      gutterMm: 6,
      piecesPerUnit: 4,
      material: 'silk-135',
      sides: 2,
      presses: ['digital-sra3', 'offset-b2', 'offset-b1'],
      finishing: ['fold'],
    },
    options: {
      binding: {
        label: 'Binding',
        default: 'saddle-stitch',
        values: {
          'saddle-stitch': { label: 'Saddle stitch', finishing: ['saddle-stitch'] },
          'perfect-bound': { label: 'Perfect bound', finishing: ['perfect-bind'], extraMinutesPerThousand: 40 },
        },
      },
      cover: {
        label: 'Cover',
        default: 'self',
        values: {
          self: { label: 'Self cover' },
          'card-300': { label: 'Card 300 g/m²', finishing: ['card-cover'] },
        },
      },
    },
  },
  {
    sku: 'STK-CIRC-50',
    name: 'Stickers, round 50 mm',
    description: 'Die-cut round vinyl stickers.',
    minQuantity: 100,
    maxQuantity: 200_000,
    leadTimeDays: 3,
    setupMinutes: 30,
    unitsPerMinute: 150,
    setupMinor: 3000,
    quantityBreaks: standardBreaks,
    production: {
      trimMm: { width: 50, height: 50 },
      bleedMm: 2,
      gutterMm: 3,
      piecesPerUnit: 1,
      material: 'vinyl-white',
      sides: 1,
      presses: ['digital-sra3', 'wide-format'],
      finishing: ['die-cut'],
    },
    options: {
      material: {
        label: 'Material',
        default: 'vinyl-white',
        values: {
          'vinyl-white': { label: 'White vinyl', material: 'vinyl-white' },
          'vinyl-clear': { label: 'Clear vinyl', material: 'vinyl-clear' },
        },
      },
    },
  },
  {
    sku: 'BAN-PVC-2x1',
    name: 'PVC banner 2×1 m',
    description: 'Weatherproof PVC banner with eyelets.',
    minQuantity: 1,
    maxQuantity: 500,
    leadTimeDays: 3,
    setupMinutes: 20,
    unitsPerMinute: 0.5,
    setupMinor: 2000,
    quantityBreaks: [{ minQuantity: 10, discountPercent: 10 }],
    production: {
      trimMm: { width: 2000, height: 1000 },
      bleedMm: 10,
      gutterMm: 20,
      piecesPerUnit: 1,
      material: 'pvc-510',
      sides: 1,
      presses: ['wide-format'],
      finishing: ['hem'],
    },
    options: {
      eyelets: {
        label: 'Eyelets',
        default: 'corners',
        values: {
          corners: { label: 'Four corners', finishing: ['eyelets-corners'] },
          'every-50cm': { label: 'Every 50 cm', finishing: ['eyelets-50cm'] },
        },
      },
    },
  },
];

const bySku = new Map(CATALOG.map((p) => [p.sku, p]));

export function findProduct(sku: string): Product | undefined {
  return bySku.get(sku);
}

/** The product's option of that name; own keys only, so `constructor` or `toString` are never options. */
export function findOption(product: Product, name: string): ProductOption | undefined {
  return Object.hasOwn(product.options, name) ? product.options[name] : undefined;
}

/** The product's choice for an option value, or undefined when the product has no such choice. */
export function findChoice(product: Product, name: string, value: string): OptionValue | undefined {
  const option = findOption(product, name);
  return option && Object.hasOwn(option.values, value) ? option.values[value] : undefined;
}

/** The item's options with the product's defaults filled in. */
export function resolveOptions(product: Product, chosen: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, option] of Object.entries(product.options)) {
    out[name] = chosen && Object.hasOwn(chosen, name) ? chosen[name]! : option.default;
  }
  return out;
}
