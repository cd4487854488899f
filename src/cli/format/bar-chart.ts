/** One bar: its label, its value (for the length) and the text printed after it. */
export interface Bar {
  label: string;
  value: number;
  text: string;
}

const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const minBarWidth = 10;

/**
 * A horizontal bar chart in plain text, `width` columns wide: label, bar, value. Bars scale to the
 * largest magnitude; positive bars are solid (`█`, in eighths), negative ones shaded (`░`) and their
 * value keeps its minus sign, so the chart reads without colour. Zero draws no bar.
 */
export function barChart(bars: readonly Bar[], width: number): string[] {
  const labelWidth = Math.max(0, ...bars.map((bar) => bar.label.length));
  const textWidth = Math.max(0, ...bars.map((bar) => bar.text.length));
  const barWidth = Math.max(minBarWidth, width - labelWidth - textWidth - 4);
  const scale = Math.max(0, ...bars.map((bar) => Math.abs(bar.value)));
  return bars.map(({ label, value, text }) => {
    const drawn = scale === 0 ? '' : draw(value / scale, barWidth);
    return `${label.padEnd(labelWidth)}  ${drawn.padEnd(barWidth)}  ${text.padStart(textWidth)}`;
  });
}

/** A bar `fraction` (−1…1) of `width` columns long. */
function draw(fraction: number, width: number): string {
  if (fraction < 0) return '░'.repeat(Math.max(1, Math.round(-fraction * width)));
  const units = Math.round(fraction * width * 8);
  if (fraction > 0 && units === 0) return eighths[1]!;
  return '█'.repeat(Math.floor(units / 8)) + eighths[units % 8];
}
