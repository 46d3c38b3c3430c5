/**
 * Charts as PNG: Vega-Lite renders the SVG in-process (no browser, no canvas) and resvg turns it
 * into PNG; both load only when a chart is drawn. Used by `orders report --png` and the benchmarks.
 */

/** A Vega-Lite specification (v6), e.g. `{ data: { values }, mark: 'bar', encoding: { … } }`. */
export type VegaLiteSpec = Record<string, unknown>;

/** Renders `spec` to PNG at twice its size; text uses the system's DejaVu Sans when present. */
export async function renderPng(spec: VegaLiteSpec): Promise<Buffer> {
  const [vega, vl, { Resvg }] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
  } finally {
    view.finalize();
  }
}
