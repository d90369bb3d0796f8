import { describe, expect, it } from 'vitest';
import { operationNameOf } from './plugins.ts';

describe('operationNameOf: the name logs and metrics give a request', () => {
  it('is the operationName sent, else the name of the operation the document starts with', () => {
    expect(operationNameOf({ operationName: 'Sent', query: 'query Other { a }' })).toBe('Sent');
    expect(operationNameOf({ query: 'query Page($first: Int) { a }' })).toBe('Page');
    expect(operationNameOf({ query: '  # a comment\n  mutation Move { a }' })).toBe('Move');
    expect(operationNameOf({ query: 'subscription Live { a }' })).toBe('Live');
  });

  it('is (anonymous) for anonymous documents, those that start with a fragment, and none', () => {
    expect(operationNameOf({ query: '{ customers { totalCount } }' })).toBe('(anonymous)');
    expect(operationNameOf({ query: 'query { a }' })).toBe('(anonymous)');
    expect(operationNameOf({ query: 'fragment F on Customer { id } query Q { a }' })).toBe('(anonymous)');
    expect(operationNameOf({ operationName: null })).toBe('(anonymous)');
  });
});
