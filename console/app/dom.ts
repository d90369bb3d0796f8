// Building the page from data without innerHTML: every vendor value is text, never markup, so a
// contact named `<img onerror=…>` is shown as those characters (the CSP would block it anyway).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** An element with attributes (`on…` ones are listeners) and children (text is escaped by the DOM). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's children. */
export const fill = (element: Element, ...children: (Child | Child[])[]) => {
  element.replaceChildren(
    ...children
      .flat()
      .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
};

/** A time as the operator reads it: local time, and how long ago. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  const seconds = Math.round((Date.now() - at.getTime()) / 1000);
  const ago =
    Math.abs(seconds) < 60
      ? `${seconds}s`
      : Math.abs(seconds) < 3600
        ? `${Math.round(seconds / 60)}m`
        : Math.abs(seconds) < 86_400
          ? `${Math.round(seconds / 3600)}h`
          : `${Math.round(seconds / 86_400)}d`;
  return `${at.toLocaleString()} (${seconds >= 0 ? `${ago} ago` : `in ${ago.replace('-', '')}`})`;
}

/** What a failure says, for the page. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A message line for the page: `error` for refusals, `ok` for confirmations. */
export const notice = (kind: 'error' | 'ok' | 'info', text: string) =>
  h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
