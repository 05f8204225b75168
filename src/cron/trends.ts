// The front page's trends as inline SVG: findings reported per day, stacked by verdict or by rule,
// one bar a day, with a y axis of counts, day labels, a legend with totals and a dot under every day
// a run happened (so a night that found nothing is told apart from a night that did not run).
// No script and no style attribute: colours come from classes the page's stylesheet defines, so the
// chart follows light and dark mode and the page's Content-Security-Policy holds. Native <title>
// tooltips give each bar's numbers on hover; the page puts the same numbers in a table too.

import { esc } from '../report/html.js';

export interface StackKey {
  key: string;
  label: string;
  /** A class the stylesheet gives a fill (only [a-z0-9-]). */
  cls: string;
}

export interface StackedChart {
  /** Prefix of the ids of the chart's title and description (unique in the page). */
  id: string;
  title: string;
  desc: string;
  /** The x axis, oldest first: YYYY-MM-DD. */
  days: string[];
  /** Stacked bottom first. */
  keys: StackKey[];
  /** day → key → count. */
  values: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** The days a run started on. */
  runDays: ReadonlySet<string>;
  yLabel: string;
}

const W = 960;
const LEFT = 56;
const RIGHT = 24;
const PLOT_H = 200;

/** About how wide a text is at 12px in a sans-serif font, for laying out the legend. */
function textWidth(t: string): number {
  let w = 0;
  for (const ch of t) w += /[ijl.,:;'|!()[\] ]/.test(ch) ? 3.4 : /[frt-]/.test(ch) ? 4.4 : /[mwMW]/.test(ch) ? 10 : /[A-Z0-9]/.test(ch) ? 7.8 : 6.8;
  return w;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2024-06-12` → `Jun 12`. */
export function shortDay(day: string): string {
  const m = /^\d{4}-(\d\d)-(\d\d)$/.exec(day);
  return m ? `${MONTHS[Number(m[1]) - 1] ?? m[1]} ${Number(m[2])}` : day;
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/**
 * The days a chart spans, ending on `last`: at most `max` days, starting no earlier than the first
 * run (`first`), but at least `min` days so a young database's few bars stay bars.
 */
export function dayWindow(last: string, first: string | null, max = 90, min = 14): string[] {
  const end = msOf(last);
  const earliest = end - (max - 1) * DAY_MS;
  let start = first ? Math.max(earliest, msOf(first)) : earliest;
  start = Math.min(start, end - (min - 1) * DAY_MS);
  const out: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) out.push(dayOf(t));
  return out;
}

/** A round step for about five y ticks, and the top of the axis. */
function yScale(max: number): { step: number; top: number } {
  const want = Math.max(1, max) / 5;
  const mag = 10 ** Math.floor(Math.log10(want));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= want) ?? 10 * mag);
  return { step, top: Math.max(step, Math.ceil(max / step) * step) };
}

const n1 = (x: number): string => String(Math.round(x * 10) / 10);
const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

export function stackedBarChart(c: StackedChart): string {
  const plotW = W - LEFT - RIGHT;
  const totals = new Map(c.keys.map((k) => [k.key, 0]));
  const dayTotal = (day: string): number => {
    let t = 0;
    for (const k of c.keys) t += c.values.get(day)?.get(k.key) ?? 0;
    return t;
  };
  for (const day of c.days) for (const k of c.keys) totals.set(k.key, totals.get(k.key)! + (c.values.get(day)?.get(k.key) ?? 0));
  const max = Math.max(0, ...c.days.map(dayTotal));
  const { step, top } = yScale(max);

  // The legend, wrapped into rows.
  const legend: string[] = [];
  let lx = LEFT;
  let row = 0;
  const items = [
    ...c.keys.map((k) => ({ swatch: `<rect class="sw k-${k.cls}" width="12" height="12" rx="2"/>`, text: `${k.label} (${totals.get(k.key)})`, key: k.key })),
    { swatch: '<circle class="rundot" cx="6" cy="6" r="3.5"/>', text: 'a run that night', key: '' },
  ];
  for (const it of items) {
    const w = 12 + 6 + textWidth(it.text) + 20;
    if (lx + w > W - RIGHT && lx > LEFT) {
      row++;
      lx = LEFT;
    }
    legend.push(
      `<g class="item" transform="translate(${n1(lx)},${8 + row * 20})"${it.key ? ` data-key="${esc(it.key)}"` : ''}>${it.swatch}<text x="18" y="10.5">${esc(it.text)}</text></g>`,
    );
    lx += w;
  }
  const plotTop = 8 + (row + 1) * 20 + 14;
  const base = plotTop + PLOT_H;
  const H = base + 58;
  const y = (v: number): number => base - (v / top) * PLOT_H;

  const out: string[] = [];
  out.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(c.id)}-t ${esc(c.id)}-d" data-chart="${esc(c.id)}">`,
    `<title id="${esc(c.id)}-t">${esc(c.title)}</title>`,
    `<desc id="${esc(c.id)}-d">${esc(c.desc)}</desc>`,
    `<g class="legend">${legend.join('')}</g>`,
  );

  // The y axis: gridlines and counts.
  const yAxis: string[] = [];
  for (let v = 0; v <= top; v += step) {
    const yy = n1(y(v));
    if (v > 0) yAxis.push(`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${yy}" y2="${yy}"/>`);
    yAxis.push(`<text class="tick" x="${LEFT - 8}" y="${yy}" dy="4" text-anchor="end">${v}</text>`);
  }
  const mid = n1(plotTop + PLOT_H / 2);
  yAxis.push(`<text class="axis-label" transform="translate(16,${mid}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  out.push(`<g class="y-axis">${yAxis.join('')}</g>`);

  // The bars: one stack a day.
  const slot = plotW / Math.max(1, c.days.length);
  const barW = Math.min(slot * 0.72, 30);
  const bars: string[] = [];
  const dots: string[] = [];
  const labels: string[] = [];
  const every = [1, 2, 3, 7, 14, 30].find((e) => slot * e >= 60) ?? 30;
  c.days.forEach((day, i) => {
    const cx = LEFT + i * slot + slot / 2;
    const x = n1(cx - barW / 2);
    let acc = 0;
    const parts: string[] = [];
    for (const k of c.keys) {
      const v = c.values.get(day)?.get(k.key) ?? 0;
      if (!v) continue;
      const y1 = y(acc + v);
      const h = y(acc) - y1;
      parts.push(
        `<rect class="bar k-${k.cls}" x="${x}" y="${n1(y1)}" width="${n1(barW)}" height="${n1(h)}" data-day="${day}" data-key="${esc(k.key)}" data-n="${v}"><title>${esc(`${day}: ${plural(v, 'finding')} ${k.label}`)}</title></rect>`,
      );
      acc += v;
    }
    const ran = c.runDays.has(day);
    if (parts.length) bars.push(`<g class="day" data-day="${day}" data-total="${acc}">${parts.join('')}</g>`);
    if (slot >= 16 && (acc > 0 || ran))
      labels.push(`<text class="total${acc ? '' : ' none'}" x="${n1(cx)}" y="${n1(y(acc) - 5)}" text-anchor="middle">${acc}</text>`);
    if (ran)
      dots.push(
        `<circle class="rundot" cx="${n1(cx)}" cy="${base + 10}" r="3.5" data-day="${day}"><title>${esc(`${day}: a run, ${plural(acc, 'finding')} reported`)}</title></circle>`,
      );
    if ((c.days.length - 1 - i) % every === 0) {
      labels.push(`<line class="axis" x1="${n1(cx)}" x2="${n1(cx)}" y1="${base}" y2="${base + 4}"/>`);
      labels.push(`<text class="tick" x="${n1(cx)}" y="${base + 32}" text-anchor="middle">${esc(shortDay(day))}</text>`);
    }
  });
  out.push(`<g class="bars">${bars.join('')}</g>`);
  out.push(`<g class="runs">${dots.join('')}</g>`);
  out.push(
    `<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${base}" y2="${base}"/><line class="axis" x1="${LEFT}" x2="${LEFT}" y1="${plotTop}" y2="${base}"/>`,
  );
  out.push(`<g class="x-axis">${labels.join('')}</g>`);
  out.push(
    `<text class="axis-label" x="${n1(LEFT + plotW / 2)}" y="${H - 6}" text-anchor="middle">day the run started (UTC), ${esc(c.days[0] ?? '')} to ${esc(c.days.at(-1) ?? '')}</text>`,
  );
  if (max === 0)
    out.push(`<text class="empty" x="${n1(LEFT + plotW / 2)}" y="${n1(plotTop + PLOT_H / 2)}" text-anchor="middle">no findings reported in these days</text>`);
  out.push('</svg>');
  return out.join('\n');
}
