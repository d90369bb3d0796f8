import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SOURCE_MODULES } from '../sources/registry.ts';

/**
 * The shape docs/ARCHITECTURE.md describes, checked: the core speaks roles and never a vendor, the
 * modules import each other without a circle, and the benchmarks stand on the product, not on the
 * tests' helpers.
 */
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

function files(dir: string, keep: (path: string) => boolean = () => true): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter(keep);
}

/** The names and texts in a file's code (identifiers, strings, templates), comments left out. */
function codeTokens(path: string): Array<{ line: number; text: string }> {
  const source = ts.createSourceFile(path, readFileSync(join(ROOT, path), 'utf8'), ts.ScriptTarget.Latest);
  const out: Array<{ line: number; text: string }> = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isIdentifier(node) ||
      ts.isPrivateIdentifier(node) ||
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      out.push({
        line,
        text: ts.isIdentifier(node) || ts.isPrivateIdentifier(node) ? node.text : node.getText(source),
      });
    }
    node.forEachChild(visit);
  };
  visit(source);
  return out;
}

/** Every vendor name a registry module goes by, as it could appear in code. */
const VENDOR = new RegExp(
  [
    ...new Set(
      SOURCE_MODULES.flatMap((m) => [m.id, m.label, ...m.label.split(/\s+/), m.id.replace(/_/g, '-')]).filter(
        (w) => !['Calendar', 'Online'].includes(w),
      ),
    ),
  ]
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'i',
);

describe('the core', () => {
  it('names no vendor in code: src/ (but the sandbox kit) and resolvers/ speak roles', () => {
    const core = [
      ...files(
        'src',
        (p) => !p.startsWith('src/sandbox/') && !p.endsWith('.spec.ts') && !p.includes('.generated.'),
      ),
      ...files('resolvers'),
    ];
    expect(core.length).toBeGreaterThan(50);
    const found = core.flatMap((path) =>
      codeTokens(path)
        .filter((t) => VENDOR.test(t.text))
        .map((t) => `${path}:${t.line} ${t.text.slice(0, 80)}`),
    );
    expect(found).toEqual([]);
  });

  it('the check itself sees a vendor named in code', () => {
    expect(VENDOR.test("'xero'")).toBe(true);
    expect(VENDOR.test('hubspotContactId')).toBe(true);
    expect(VENDOR.test('accountingContactId')).toBe(false);
  });
});

/**
 * Relative imports of each file that load the module at run time. Type-only imports are left out:
 * TypeScript erases them, so they cannot make modules initialise in the wrong order.
 */
function importGraph(paths: string[], { types = false } = {}): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const typeOnly = (node: ts.ImportDeclaration | ts.ExportDeclaration) => {
    if (ts.isExportDeclaration(node)) return node.isTypeOnly;
    const clause = node.importClause;
    if (!clause) return false;
    if (clause.isTypeOnly) return true;
    const bindings = clause.namedBindings;
    return (
      !clause.name &&
      bindings !== undefined &&
      ts.isNamedImports(bindings) &&
      bindings.elements.length > 0 &&
      bindings.elements.every((e) => e.isTypeOnly)
    );
  };
  for (const path of paths) {
    const source = ts.createSourceFile(path, readFileSync(join(ROOT, path), 'utf8'), ts.ScriptTarget.Latest);
    const targets: string[] = [];
    source.forEachChild((node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        (types || !typeOnly(node))
      ) {
        const spec = (node.moduleSpecifier as ts.StringLiteral).text;
        if (spec.startsWith('.')) targets.push(relative(ROOT, resolve(ROOT, dirname(path), spec)));
      }
    });
    graph.set(path, targets);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('imports', () => {
  it('form no circle in src/, resolvers/ and sources/ (imports that load code)', () => {
    const graph = importGraph([
      ...files('src', (p) => !p.endsWith('.spec.ts')),
      ...files('resolvers'),
      ...files('sources', (p) => !p.endsWith('.spec.ts')),
    ]);
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the cycle finder finds a circle', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'a']]);
  });

  it('benchmarks import nothing from test/', () => {
    const graph = importGraph(files('bench'), { types: true });
    const intoTests = [...graph].flatMap(([from, targets]) =>
      targets.filter((t) => t.startsWith('test/')).map((t) => `${from} → ${t}`),
    );
    expect(intoTests).toEqual([]);
  });
});
