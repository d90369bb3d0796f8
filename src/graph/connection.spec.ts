import { describe, expect, it } from 'vitest';
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo } from 'graphql';
import { selects } from './connection.ts';

/** The resolve info of the document's first root field: its field node and the fragments. */
function infoOf(text: string): GraphQLResolveInfo {
  const document = parse(text);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const field = operation.selectionSet.selections[0] as FieldNode;
  return { fieldNodes: [field], fragments } as unknown as GraphQLResolveInfo;
}

describe('selects', () => {
  it('finds a field asked for directly, in an inline fragment or in a named one', () => {
    expect(selects(infoOf('{ customers { totalCount } }'), 'totalCount')).toBe(true);
    expect(selects(infoOf('{ customers { ... on CustomerConnection { totalCount } } }'), 'totalCount')).toBe(
      true,
    );
    expect(
      selects(infoOf('{ customers { ...F } } fragment F on CustomerConnection { totalCount }'), 'totalCount'),
    ).toBe(true);
  });

  it('does not find a field asked for only deeper down, or not at all', () => {
    expect(selects(infoOf('{ customers { edges { node { id } } } }'), 'totalCount')).toBe(false);
    expect(
      selects(infoOf('{ customers { edges { node { bookings { totalCount } } } } }'), 'totalCount'),
    ).toBe(false);
  });
});
