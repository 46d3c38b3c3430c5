import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, CURRENCY, VAT_BASIS_POINTS } from './catalog.js';
import type { OrderItem } from './order.js';
import {
  FINISHING,
  MATERIALS,
  PARTNER_PRICE_LISTS,
  PRESSES,
  PRICE_LISTS,
  PRICE_LIST_VERSION,
  RUSH_SURCHARGE,
  canonicalJson,
  impose,
  placements,
  priceItem,
  priceOrder,
  PricingError,
  type Piece,
} from './pricing/index.js';

describe('imposition (hand-computed)', () => {
  it('fills an A3 sheet with round 50 mm stickers', () => {
    // cell = 50 + 2×2 bleed + 3 gutter = 57 mm; the area gets one gutter back:
    // width 420 − 2×4 margin + 3 = 415 → ⌊415 / 57⌋ = 7; height 297 − 8 + 3 = 292 → ⌊292 / 57⌋ = 5; 35 ups
    // waste = 1 − 35 × 50 × 50 / (420 × 297) = 1 − 87,500 / 124,740 = 29.86 %
    const piece: Piece = { width: 50, height: 50, bleed: 2, gutter: 3 };
    const imp = impose(piece, { name: 'A3', width: 420, height: 297 }, { marginMm: 4, gripperMm: 0 });
    expect(imp).toMatchObject({ ups: 35, wasteBasisPoints: 2986, layout: '7×5 upright' });
  });

  it('mixes upright and turned blocks when that fits more', () => {
    // business card cell 85 + 4 + 2 = 91 × 55 + 4 + 2 = 61; half an SRA3 sheet 225 × 320, margin 4:
    // area 225 − 8 + 2 = 219 × 320 − 8 + 2 = 314.
    // all upright: ⌊219/91⌋ × ⌊314/61⌋ = 2 × 5 = 10; all turned: ⌊219/61⌋ × ⌊314/91⌋ = 3 × 3 = 9;
    // a 91 mm column upright (1 × 5) beside 122 mm turned (2 × 3) = 11, the guillotine optimum.
    const piece: Piece = { width: 85, height: 55, bleed: 2, gutter: 2 };
    const imp = impose(piece, { name: 'half SRA3', width: 225, height: 320 }, { marginMm: 4, gripperMm: 0 });
    expect(imp.ups).toBe(11);
    expect(imp.blocks.reduce((n, b) => n + b.columns * b.rows, 0)).toBe(11);
    expect(imp.blocks.some((b) => b.rotated) && imp.blocks.some((b) => !b.rotated)).toBe(true);
  });

  it('reports a piece that does not fit', () => {
    const imp = impose({ width: 500, height: 500, bleed: 3, gutter: 0 }, { name: 'A3', width: 420, height: 297 }, { marginMm: 4, gripperMm: 0 });
    expect(imp.ups).toBe(0);
  });
});

describe('price calculation (hand-computed)', () => {
  it('prices 2,000 round stickers line by line', () => {
    // Digital press, sheet A3 (least waste of SRA3 39.2 %, SRA3+ 37.9 %, A3 29.9 %), 35 ups (above).
    // sheets: good ⌈2000 / 35⌉ = 58; spoilage 5 make-ready + ⌈58 × 1 %⌉ = 1 → 6; 64 sheets
    // material: 420 × 297 = 124,740 mm² × 180 g/m² × 800 ¢/kg ÷ 10⁶ = 17,962.56 → 17,963 ¢ per 1,000 sheets;
    //           64 × 17,963 / 1,000 = 1,149.6 → 1,150
    // press: 64 sheets × 1 side × 9 ¢ = 576;  finishing (die cut): 64 × 6 ¢ = 384;  run = 2,110
    // setup: prepress 3,000 + make-ready 400 + die 3,000 = 6,400
    // quantity breaks (graduated; 10 % beyond 250, 20 % beyond 1,000):
    //   run(250)  = 14 sheets: 251 + 126 + 84 = 461;  run(1000) = 35 sheets: 629 + 315 + 210 = 1,154
    //   discount = (10 × (1,154 − 461) + 20 × (2,110 − 1,154)) / 100 = (6,930 + 19,120) / 100 = 260.5
    //   net run = (211,000 − 26,050) / 100 = 1,849.5 → 1,850 (half up), discount 260
    // total = 6,400 + 1,850 = 8,250. (The large-format printer is dearer: its setup alone is 7,500
    // and each of its ≥ 8 sheets of 1.37 m² costs 617 ¢ of ink.)
    const line = priceItem({ sku: 'STK-CIRC-50', quantity: 2000 });
    expect(line).toMatchObject({
      press: 'Digital colour press (SRA3)',
      sheet: 'A3 420×297 mm',
      upsPerSheet: 35,
      sheets: 64,
      spoilageSheets: 6,
      wastePercent: 29.86,
      materialMinor: 1150,
      pressMinor: 576,
      finishingMinor: 384,
      runMinor: 2110,
      setupMinor: 6400,
      discountPercent: 20,
      quantityDiscountMinor: 260,
      priceListDiscountMinor: 0,
      rushSurchargeMinor: 0,
      totalMinor: 8250,
    });
    // VAT 19 % of 8,250 = 1,567.5 → 1,568
    expect(priceOrder([{ sku: 'STK-CIRC-50', quantity: 2000 }])).toMatchObject({
      subtotalMinor: 8250,
      vatMinor: 1568,
      totalMinor: 9818,
      priceList: 'list',
      rush: false,
    });
  });

  it('applies a partner price list and the rush minimum', () => {
    // acme has `partner-gold`: setup −50 % = 6,400 − 3,200; run −8 % = 1,850 − 148 → 4,902
    // rush: 25 % of 4,902 = 1,225.5 → 1,226, below the 1,500 minimum → 1,500; line 6,402
    const line = priceItem({ sku: 'STK-CIRC-50', quantity: 2000 }, { partnerId: 'acme', rush: true });
    expect(line).toMatchObject({ priceListDiscountMinor: 3348, rushSurchargeMinor: 1500, totalMinor: 6402 });
    // a partner without a list of its own gets `partner-standard`: run −3 % = 1,850 × 0.03 = 55.5 → 56
    expect(priceItem({ sku: 'STK-CIRC-50', quantity: 2000 }, { partnerId: 'initech' })).toMatchObject({ priceListDiscountMinor: 56, totalMinor: 8194 });
  });

  it('prints two-sided business cards on half sheets when that saves a make-ready', () => {
    // Work-and-tumble on the digital press's 660 × 320 mm long sheet: each half 660 × 160, area
    // 660 − 8 + 2 = 654 × 160 − 8 + 2 = 154; cells 91 × 61 (upright) or 61 × 91 (turned).
    // upright alone: ⌊654/91⌋ × ⌊154/61⌋ = 7 × 2 = 14. A 183 mm strip holds 3 turned (91 high)
    // over 2 upright (61 high) = 5 where upright alone fits 4; 3 strips (549 mm) + one upright
    // column of 2 in the remaining 105 mm = 17 per half, 34 per sheet.
    const half = impose({ width: 85, height: 55, bleed: 2, gutter: 2 }, { name: 'half', width: 660, height: 160 }, { marginMm: 4, gripperMm: 0 });
    expect(half.ups).toBe(17);
    // sheets: ⌈100 / 34⌉ = 3 good + 5 make-ready + ⌈3 × 1 %⌉ = 1 → 9;
    // setup: prepress 1,500 + one make-ready 400 (not one per side) + cutting 500 = 2,400
    const line = priceItem({ sku: 'BC-STD', quantity: 100 });
    expect(line).toMatchObject({ sheet: 'long sheet 660×320 mm', upsPerSheet: 34, sheets: 9, spoilageSheets: 6, setupMinor: 2400 });
    expect(line.layout).toMatch(/^work-and-tumble, each half /);
    expect(line.options).toEqual({ paper: 'matte-350', sides: '2', finish: 'none' });
    // every line adds up
    expect(line.runMinor).toBe(line.materialMinor + line.pressMinor + line.finishingMinor);
    expect(line.totalMinor).toBe(line.setupMinor + line.runMinor - line.quantityDiscountMinor - line.priceListDiscountMinor + line.rushSurchargeMinor);
  });

  it('adds VAT once over the subtotal and says which figures it used', () => {
    const price = priceOrder([
      { sku: 'BC-STD', quantity: 100 },
      { sku: 'POS-A2', quantity: 3 },
    ]);
    expect(price.subtotalMinor).toBe(price.lines[0]!.totalMinor + price.lines[1]!.totalMinor);
    expect(price.vatMinor).toBe(Math.floor((price.subtotalMinor * 1900 * 2 + 10_000) / 20_000));
    expect(price).toMatchObject({ currency: 'EUR', priceListVersion: PRICE_LIST_VERSION });
  });

  it('refuses unknown products and option values', () => {
    expect(() => priceItem({ sku: 'NOPE', quantity: 1 })).toThrow(PricingError);
    expect(() => priceItem({ sku: 'BC-STD', quantity: 100, options: { paper: 'gold-leaf' } })).toThrow(/gold-leaf/);
    expect(() => priceItem({ sku: 'BC-STD', quantity: 100, options: { paper: 'constructor' } })).toThrow(PricingError);
  });
});

describe('price-list version', () => {
  it('changes whenever a figure the engine prices with changes', () => {
    // Cached prices are keyed by PRICE_LIST_VERSION. If this fails, you changed a figure: bump
    // PRICE_LIST_VERSION in src/domain/pricing/reference.ts and record both new values here.
    const figures = {
      catalog: CATALOG.map((p) => ({
        sku: p.sku,
        setupMinor: p.setupMinor,
        quantityBreaks: p.quantityBreaks,
        production: p.production,
        // what a choice means for the price (labels and production minutes do not count)
        options: Object.fromEntries(
          Object.entries(p.options).map(([name, o]) => [
            name,
            {
              default: o.default,
              values: Object.fromEntries(Object.entries(o.values).map(([v, c]) => [v, { material: c.material, sides: c.sides, finishing: c.finishing }])),
            },
          ]),
        ),
      })),
      MATERIALS,
      PRESSES,
      FINISHING,
      PRICE_LISTS,
      PARTNER_PRICE_LISTS,
      RUSH_SURCHARGE,
      CURRENCY,
      VAT_BASIS_POINTS,
    };
    const fingerprint = createHash('sha256').update(canonicalJson(figures)).digest('hex').slice(0, 16);
    expect({ version: PRICE_LIST_VERSION, fingerprint }).toEqual({ version: '2026-11-b', fingerprint: 'e92d4d793eb1ec84' });
  });
});

// ── Properties ───────────────────────────────────────────────────────────────────────────────

const itemArb: fc.Arbitrary<OrderItem> = fc
  .constantFrom(...CATALOG)
  .chain((p) =>
    fc.record({
      sku: fc.constant(p.sku),
      quantity: fc.integer({ min: p.minQuantity, max: Math.min(p.maxQuantity, 20_000) }),
      options: fc.record(Object.fromEntries(Object.entries(p.options).map(([name, o]) => [name, fc.constantFrom(...Object.keys(o.values))])), {
        requiredKeys: [],
      }),
    }),
  )
  .map((item) => ({ ...item, options: item.options as Record<string, string> }));
const contextArb = fc.record({ partnerId: fc.constantFrom(undefined, 'acme', 'globex', 'initech'), rush: fc.boolean() });

describe('price properties', () => {
  it('total = subtotal + VAT, every amount a non-negative integer', () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 4 }), contextArb, (items, context) => {
        const price = priceOrder(items, context);
        expect(price.totalMinor).toBe(price.subtotalMinor + price.vatMinor);
        expect(price.subtotalMinor).toBe(price.lines.reduce((s, l) => s + l.totalMinor, 0));
        const amounts = [price.subtotalMinor, price.vatMinor, price.totalMinor];
        for (const l of price.lines) {
          amounts.push(
            l.setupMinor,
            l.runMinor,
            l.totalMinor,
            l.materialMinor,
            l.pressMinor,
            l.finishingMinor,
            l.quantityDiscountMinor,
            l.priceListDiscountMinor,
            l.rushSurchargeMinor,
            l.sheets,
            l.upsPerSheet,
          );
        }
        for (const a of amounts) expect(Number.isSafeInteger(a) && a >= 0, `amount ${a}`).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('more quantity never costs less in total', () => {
    fc.assert(
      fc.property(itemArb, fc.integer({ min: 1, max: 5000 }), contextArb, (item, more, context) => {
        const bigger = { ...item, quantity: item.quantity + more };
        const next = { ...item, quantity: item.quantity + 1 };
        const base = priceItem(item, context).totalMinor;
        expect(priceItem(next, context).totalMinor).toBeGreaterThanOrEqual(base);
        expect(priceItem(bigger, context).totalMinor).toBeGreaterThanOrEqual(base);
      }),
      { numRuns: 200 },
    );
  });

  it('the unit price does not rise from one quantity break to the next', () => {
    fc.assert(
      fc.property(itemArb, contextArb, (item, context) => {
        const product = CATALOG.find((p) => p.sku === item.sku)!;
        const steps = [product.minQuantity, ...product.quantityBreaks.map((b) => b.minQuantity).filter((q) => q <= product.maxQuantity)];
        const totals = steps.map((quantity) => priceItem({ ...item, quantity }, context).totalMinor);
        for (let k = 1; k < steps.length; k++) {
          // total(k) / q(k) ≤ total(k−1) / q(k−1), cross-multiplied to stay in integers
          expect(totals[k]! * steps[k - 1]!).toBeLessThanOrEqual(totals[k - 1]! * steps[k]!);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic and independent of the order of the lines', () => {
    fc.assert(
      fc.property(fc.array(itemArb, { minLength: 1, maxLength: 5 }), contextArb, (items, context) => {
        const first = priceOrder(items, context);
        expect(priceOrder(structuredClone(items), context)).toEqual(first);
        const reversed = priceOrder([...items].reverse(), context);
        expect(reversed.lines).toEqual([...first.lines].reverse());
        expect(reversed.totalMinor).toBe(first.totalMinor);
      }),
      { numRuns: 60 },
    );
  });

  it('never places a piece outside the printable area or on top of another', () => {
    const pieceArb = fc.record({
      width: fc.integer({ min: 40, max: 700 }),
      height: fc.integer({ min: 40, max: 700 }),
      bleed: fc.integer({ min: 0, max: 5 }),
      gutter: fc.integer({ min: 0, max: 8 }),
    });
    const sheetArb = fc.record({ name: fc.constant('sheet'), width: fc.integer({ min: 200, max: 1100 }), height: fc.integer({ min: 200, max: 800 }) });
    const areaArb = fc.record({ marginMm: fc.integer({ min: 0, max: 10 }), gripperMm: fc.integer({ min: 0, max: 15 }) });
    fc.assert(
      fc.property(pieceArb, sheetArb, areaArb, (piece, sheet, area) => {
        const imp = impose(piece, sheet, area);
        const boxes = placements(piece, imp);
        expect(boxes).toHaveLength(imp.ups);
        for (const b of boxes) {
          expect(b.x).toBeGreaterThanOrEqual(area.marginMm);
          expect(b.y).toBeGreaterThanOrEqual(area.marginMm + area.gripperMm);
          expect(b.x + b.width).toBeLessThanOrEqual(sheet.width - area.marginMm);
          expect(b.y + b.height).toBeLessThanOrEqual(sheet.height - area.marginMm);
        }
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!;
            const b = boxes[j]!;
            const apart =
              a.x + a.width + piece.gutter <= b.x ||
              b.x + b.width + piece.gutter <= a.x ||
              a.y + a.height + piece.gutter <= b.y ||
              b.y + b.height + piece.gutter <= a.y;
            expect(apart).toBe(true);
          }
        }
        // never better than the area bound
        expect(imp.ups * (piece.width + 2 * piece.bleed) * (piece.height + 2 * piece.bleed)).toBeLessThanOrEqual(sheet.width * sheet.height);
      }),
      { numRuns: 300 },
    );
  });
});
