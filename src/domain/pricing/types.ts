/** Shapes of a price: one line per item, then subtotal, VAT and total; all money in minor units. */

/**
 * Price of one item line, every amount in minor units. The production fields are present on
 * every price this engine makes; they are optional because prices recorded by earlier versions
 * of the engine (in running orders' histories and the projection) lack them.
 */
export interface PriceLine {
  sku: string;
  quantity: number;
  /** The options priced, defaults filled in. */
  options: Record<string, string>;
  /** One-off costs: prepress, make-ready per printed side, finishing setups (before discounts). */
  setupMinor: number;
  /** Cost of the run: material + press + finishing per unit and sheet (before discounts). */
  runMinor: number;
  /** Quantity break reached: units beyond it cost this many percent less to run. */
  discountPercent: number;
  /** What the line costs after discounts and surcharges, VAT excluded. */
  totalMinor: number;
  /** Press chosen (the cheapest for this quantity among the presses that can make the product). */
  press?: string;
  /** Press sheet chosen (least waste among the sheet sizes the press takes), e.g. `B1 1020×720 mm`. */
  sheet?: string;
  /** Layout of the pieces on the sheet, e.g. `8×4 upright + 2×5 turned`. */
  layout?: string;
  /** Pieces per sheet. */
  upsPerSheet?: number;
  /** Sheets printed, spoilage included. */
  sheets?: number;
  /** Of which spoilage (make-ready and running). */
  spoilageSheets?: number;
  /** Share of a sheet that is not trimmed product, percent with two decimals. */
  wastePercent?: number;
  /** Stock printed on. */
  material?: string;
  materialMinor?: number;
  /** Press time: sheets × printed sides × cost per sheet side. */
  pressMinor?: number;
  /** Finishing operations applied. */
  finishing?: string[];
  /** Finishing per unit, per sheet and per area (their setups are in setupMinor). */
  finishingMinor?: number;
  /** Quantity-break discount on the run cost. */
  quantityDiscountMinor?: number;
  /** Discount of the customer's price list. */
  priceListDiscountMinor?: number;
  /** Rush surcharge. */
  rushSurchargeMinor?: number;
}

/** A price a person can check: each line, the subtotal, VAT and the total. */
export interface PriceBreakdown {
  currency: string;
  lines: PriceLine[];
  subtotalMinor: number;
  vatMinor: number;
  totalMinor: number;
  /** Price list applied (`list` for the shop). */
  priceList?: string;
  /** Version of the engine's figures the price was made with. */
  priceListVersion?: string;
  /** Whether the order was priced as a rush order. */
  rush?: boolean;
}

/** What the price depends on besides the items. */
export interface PriceContext {
  /** The partner ordering; picks its price list. Absent for the shop. */
  partnerId?: string | undefined;
  /** A rush order pays the rush surcharge on every line. */
  rush?: boolean | undefined;
}

/** The order cannot be priced (unknown product, option value, or nothing can make it). */
export class PricingError extends Error {}
