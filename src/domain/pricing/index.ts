/** The price engine: pure, deterministic production costing of print orders (see engine.ts). */
export { canonicalJson } from './canonical-json.js';
export { divRound, priceItem, priceListFor, priceOrder, type PricedBreakdown, type PricedLine } from './engine.js';
export { bestSheet, impose, placements, type Block, type Imposition, type Piece, type Placement, type PrintArea } from './imposition.js';
export * from './reference.js';
export { PricingError, type PriceBreakdown, type PriceContext, type PriceLine } from './types.js';
