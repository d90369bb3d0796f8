import { gql } from '../api.ts';
import { fill, h, messageOf, notice } from '../dom.ts';
import type { View } from '../main.ts';

interface Minute {
  at: string;
  calls: number;
  errors: number;
  latencyP95Ms: number | null;
  webhooks: number;
  webhookLagP95Ms: number | null;
}
interface History {
  system: string;
  minutes: Minute[];
}

const QUERY = `query ConsoleHistory { sourceHistory(minutes: 60) { system minutes { at calls errors latencyP95Ms webhooks webhookLagP95Ms } } }`;
const EVERY_MS = 10_000;
const SVG = 'http://www.w3.org/2000/svg';

function svg(
  tag: string,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  element.append(...children);
  return element;
}

/**
 * One small chart: bars (calls, with failures stacked in red) or a line (milliseconds), an hour wide.
 * Drawn as SVG from the data, no chart library: a few hundred bytes each.
 */
function chart(
  title: string,
  minutes: Minute[],
  kind: 'calls' | 'latency' | 'webhooks' | 'lag',
): HTMLElement {
  const width = 300;
  const height = 80;
  const step = width / minutes.length;
  const values = minutes.map((m) =>
    kind === 'calls'
      ? m.calls
      : kind === 'webhooks'
        ? m.webhooks
        : kind === 'latency'
          ? (m.latencyP95Ms ?? 0)
          : (m.webhookLagP95Ms ?? 0),
  );
  const max = Math.max(1, ...values);
  const y = (v: number) => height - (v / max) * (height - 4);
  const body: SVGElement[] = [];
  if (kind === 'latency' || kind === 'lag') {
    const points = minutes
      .map((m, i) =>
        (kind === 'latency' ? m.latencyP95Ms : m.webhookLagP95Ms) === null
          ? null
          : `${(i + 0.5) * step},${y(values[i]!)}`,
      )
      .filter((p): p is string => p !== null);
    if (points.length) body.push(svg('polyline', { points: points.join(' '), fill: 'none', class: 'line' }));
    // A minute alone makes no line: each measured minute is also a mark, with its value on hover.
    minutes.forEach((m, i) => {
      const value = kind === 'latency' ? m.latencyP95Ms : m.webhookLagP95Ms;
      if (value === null) return;
      body.push(
        svg(
          'rect',
          { x: i * step + step / 2 - 1.5, y: y(value) - 1.5, width: 3, height: 3, class: 'mark' },
          svg('title', {}, `${new Date(m.at).toLocaleTimeString()}: ${Math.round(value)} ms`),
        ),
      );
    });
  } else {
    minutes.forEach((m, i) => {
      const total = values[i]!;
      if (!total) return;
      body.push(
        svg(
          'rect',
          {
            x: i * step + 0.5,
            y: y(total),
            width: Math.max(1, step - 1),
            height: height - y(total),
            class: 'bar',
          },
          svg('title', {}, `${new Date(m.at).toLocaleTimeString()}: ${total}`),
        ),
      );
      if (kind === 'calls' && m.errors) {
        body.push(
          svg('rect', {
            x: i * step + 0.5,
            y: y(m.errors),
            width: Math.max(1, step - 1),
            height: height - y(m.errors),
            class: 'bar error',
          }),
        );
      }
    });
  }
  const total = values.reduce((a, b) => a + b, 0);
  const caption =
    kind === 'calls'
      ? `${total} calls, ${minutes.reduce((a, m) => a + m.errors, 0)} failed`
      : kind === 'webhooks'
        ? `${total} webhooks`
        : `peak ${Math.round(max)} ms`;
  return h(
    'figure',
    { class: 'chart', 'data-chart': kind },
    h('figcaption', {}, title, h('span', { class: 'hint' }, ` — ${caption}`)),
    svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        width: '100%',
        height,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': `${title}: ${caption}`,
      },
      ...body,
    ) as unknown as HTMLElement,
  );
}

export const chartsView: View = (root) => {
  const status = h('div', { class: 'status-line' });
  const grid = h('div', { class: 'cards' });
  fill(
    root,
    h('h1', {}, 'Charts'),
    h(
      'p',
      { class: 'hint' },
      'The last hour per system, minute by minute, as this replica saw it (it starts empty when the hub restarts; Prometheus at /metrics keeps the long history).',
    ),
    status,
    grid,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const refresh = async () => {
    try {
      const { sourceHistory } = await gql<{ sourceHistory: History[] }>(QUERY);
      fill(
        grid,
        sourceHistory.map((s) =>
          h(
            'section',
            { class: 'card', 'data-system': s.system },
            h('h3', {}, s.system),
            chart('Calls', s.minutes, 'calls'),
            chart('Latency p95', s.minutes, 'latency'),
            chart('Webhooks', s.minutes, 'webhooks'),
            chart('Webhook lag p95', s.minutes, 'lag'),
          ),
        ),
      );
      fill(
        status,
        h('p', { class: 'hint' }, `Updated ${new Date().toLocaleTimeString()}, every ${EVERY_MS / 1000}s.`),
      );
    } catch (error) {
      fill(status, notice('error', messageOf(error)));
    }
    if (!stopped) timer = setTimeout(() => void refresh(), EVERY_MS);
  };
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
