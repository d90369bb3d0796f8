import { gql } from '../api.ts';
import { fill, h, messageOf, notice } from '../dom.ts';
import type { View } from '../main.ts';

/** Inline markdown: `code` and **bold**, as text nodes (the map is the hub's own text, still not trusted as HTML). */
function inline(text: string): (Node | string)[] {
  const parts: (Node | string)[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(m[1] !== undefined ? h('code', {}, m[1]) : h('strong', {}, m[2] ?? ''));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

const cells = (line: string) =>
  line
    .replace(/^\s*\|/, '')
    .replace(/\|\s*$/, '')
    .split('|')
    .map((c) => c.trim());

/** The subset of markdown `docs/CONNECTIONS.md` uses: headings, paragraphs, lists and tables. */
export function renderMarkdown(markdown: string): Node[] {
  const out: Node[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(heading[1]!.length + 1, 5) as 2 | 3 | 4 | 5;
      out.push(h(`h${level}`, {}, inline(heading[2]!)));
    } else if (line.trimStart().startsWith('|') && lines[i + 1]?.match(/^\s*\|?\s*:?-{3,}/)) {
      const head = cells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && lines[i]!.trimStart().startsWith('|')) rows.push(cells(lines[i++]!));
      i--;
      out.push(
        h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                head.map((c) => h('th', {}, inline(c))),
              ),
            ),
            h(
              'tbody',
              {},
              rows.map((r) =>
                h(
                  'tr',
                  {},
                  r.map((c) => h('td', {}, inline(c))),
                ),
              ),
            ),
          ),
        ),
      );
    } else if (/^\s*[-*]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i]!))
        items.push(lines[i++]!.replace(/^\s*[-*]\s+/, ''));
      i--;
      out.push(
        h(
          'ul',
          {},
          items.map((t) => h('li', {}, inline(t))),
        ),
      );
    } else if (line.trim() && !line.startsWith('<!--')) {
      out.push(h('p', {}, inline(line)));
    }
  }
  return out;
}

export const mapView: View = (root) => {
  fill(
    root,
    h('h1', {}, 'Connection map'),
    h('p', { class: 'hint' }, 'Loading… (generated from the code; the same text as docs/CONNECTIONS.md)'),
  );
  gql<{ connectionMapMarkdown: string }>('query ConsoleConnectionMap { connectionMapMarkdown }').then(
    ({ connectionMapMarkdown }) =>
      fill(root, h('article', { class: 'map' }, renderMarkdown(connectionMapMarkdown))),
    (error: unknown) => fill(root, h('h1', {}, 'Connection map'), notice('error', messageOf(error))),
  );
  return () => {};
};
