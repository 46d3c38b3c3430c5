/**
 * The product catalog: what can be ordered, its options and the production figures the
 * pipeline plans with. Static reference data, versioned with the code.
 */

/** One choice of an option, with what it adds to cost and production time. */
export interface OptionValue {
  label: string;
  /** Extra cost per unit, in minor units (cents). */
  unitSurchargeMinor?: number;
  /** Extra one-off setup cost, in minor units. */
  setupSurchargeMinor?: number;
  /** Extra production minutes per 1,000 units. */
  extraMinutesPerThousand?: number;
}

export interface ProductOption {
  label: string;
  default: string;
  values: Record<string, OptionValue>;
}

export interface QuantityBreak {
  /** From this quantity on… */
  minQuantity: number;
  /** …the run cost is reduced by this many percent. */
  discountPercent: number;
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
  setupMinor: number;
  unitMinor: number;
  quantityBreaks: QuantityBreak[];
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
    unitMinor: 6,
    quantityBreaks: standardBreaks,
    options: {
      paper: {
        label: 'Paper',
        default: 'matte-350',
        values: {
          'matte-350': { label: 'Matte 350 g/m²' },
          'gloss-350': { label: 'Gloss 350 g/m²', unitSurchargeMinor: 1 },
          'recycled-300': { label: 'Recycled 300 g/m²', unitSurchargeMinor: 1 },
        },
      },
      sides: {
        label: 'Printed sides',
        default: '2',
        values: { '1': { label: 'Front only' }, '2': { label: 'Front and back', unitSurchargeMinor: 2 } },
      },
      finish: {
        label: 'Finish',
        default: 'none',
        values: {
          none: { label: 'None' },
          'soft-touch': { label: 'Soft-touch laminate', unitSurchargeMinor: 4, extraMinutesPerThousand: 10 },
          foil: { label: 'Gold foil', unitSurchargeMinor: 9, setupSurchargeMinor: 4000, extraMinutesPerThousand: 30 },
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
    unitMinor: 5,
    quantityBreaks: standardBreaks,
    options: {
      paper: {
        label: 'Paper',
        default: 'gloss-135',
        values: {
          'gloss-135': { label: 'Gloss 135 g/m²' },
          'matte-170': { label: 'Matte 170 g/m²', unitSurchargeMinor: 1 },
        },
      },
      sides: {
        label: 'Printed sides',
        default: '2',
        values: { '1': { label: 'Front only' }, '2': { label: 'Front and back', unitSurchargeMinor: 1 } },
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
    unitMinor: 180,
    quantityBreaks: [
      { minQuantity: 50, discountPercent: 10 },
      { minQuantity: 500, discountPercent: 25 },
    ],
    options: {
      paper: {
        label: 'Paper',
        default: 'silk-170',
        values: {
          'silk-170': { label: 'Silk 170 g/m²' },
          'photo-200': { label: 'Photo 200 g/m²', unitSurchargeMinor: 80 },
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
    unitMinor: 140,
    quantityBreaks: standardBreaks,
    options: {
      binding: {
        label: 'Binding',
        default: 'saddle-stitch',
        values: {
          'saddle-stitch': { label: 'Saddle stitch' },
          'perfect-bound': { label: 'Perfect bound', unitSurchargeMinor: 60, extraMinutesPerThousand: 40 },
        },
      },
      cover: {
        label: 'Cover',
        default: 'self',
        values: {
          self: { label: 'Self cover' },
          'card-300': { label: 'Card 300 g/m²', unitSurchargeMinor: 25 },
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
    unitMinor: 9,
    quantityBreaks: standardBreaks,
    options: {
      material: {
        label: 'Material',
        default: 'vinyl-white',
        values: {
          'vinyl-white': { label: 'White vinyl' },
          'vinyl-clear': { label: 'Clear vinyl', unitSurchargeMinor: 2 },
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
    unitMinor: 3900,
    quantityBreaks: [{ minQuantity: 10, discountPercent: 10 }],
    options: {
      eyelets: {
        label: 'Eyelets',
        default: 'corners',
        values: {
          corners: { label: 'Four corners' },
          'every-50cm': { label: 'Every 50 cm', unitSurchargeMinor: 400 },
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
