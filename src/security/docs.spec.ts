import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../graph/schema.ts';
import { readScopeCatalog } from './scopes.ts';

describe('docs/SECURITY.md', () => {
  it('lists every scope the schema declares, and no other', () => {
    const text = readFileSync(new URL('../../docs/SECURITY.md', import.meta.url), 'utf8');
    const section = text.slice(text.indexOf('## Scopes'), text.indexOf('## Browsers'));
    const listed = [...section.matchAll(/^\| `([a-z:]+)`/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...readScopeCatalog(buildSchema()).all].sort());
  });
});
