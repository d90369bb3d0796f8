import { Kind, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import { badInput } from './errors.ts';

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
}

/** `first` checked against the connection's cap, with a message that says both. */
export function checkFirst(first: number | null | undefined, max: number, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badInput(`"first" must be between 1 and ${max}, got ${value}`, 'first');
  }
  return value;
}

export const encodeCursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

export function decodeCursor(cursor: string, prefix: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${prefix}:`))
    throw badInput(`"after" is not a cursor from this list: ${cursor.slice(0, 60)}`, 'after');
  return text.slice(prefix.length + 1);
}

/** A page of an in-memory list; cursors are offsets, opaque to clients. */
export function sliceConnection<T>(
  items: T[],
  first: number,
  after: string | null | undefined,
): Connection<T> {
  let start = 0;
  if (after) {
    const offset = Number(decodeCursor(after, 'o'));
    if (!Number.isInteger(offset) || offset < 0) throw badInput('"after" is not a valid cursor', 'after');
    start = offset + 1;
  }
  const page = items.slice(start, start + first);
  const edges = page.map((node, i) => ({ cursor: encodeCursor(`o:${start + i}`), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: start + first < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
  };
}

/**
 * A page whose order and continuation come from elsewhere (the store, a vendor's own paging).
 * Each edge's cursor names its node; `pageInfo.endCursor` is what resumes the list, and is the
 * vendor's continuation token when the vendor pages.
 */
export function cursorPage<T>(
  nodes: T[],
  options: {
    cursor: (node: T) => string;
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    endCursor?: string;
    totalCount?: number | null;
  },
): Omit<Connection<T>, 'totalCount'> & { totalCount: number | null } {
  const edges = nodes.map((node) => ({ cursor: encodeCursor(options.cursor(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: options.hasNextPage,
      hasPreviousPage: options.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: options.endCursor ? encodeCursor(options.endCursor) : (edges.at(-1)?.cursor ?? null),
    },
    totalCount: options.totalCount ?? null,
  };
}

/**
 * Whether the selection under the current field asks for `name` (directly, or in a fragment), so
 * resolvers skip work nobody asked for (`totalCount` is a count query on every page otherwise).
 */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (selections: readonly SelectionNode[]): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet.selections);
      const fragment = info.fragments[selection.name.value];
      if (!fragment || seen.has(fragment.name.value)) return false;
      seen.add(fragment.name.value);
      return visit(fragment.selectionSet.selections);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet?.selections ?? []));
}
