import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../domain/source-module.ts';
import { SOURCE_MODULES } from '../../sources/registry.ts';
import { operationKinds } from '../operations/kinds/index.ts';
import { SYNC_RULE_EFFECTS, SYNC_RULES } from '../sync/rules.ts';
import { connectionMap, connectionMapMarkdown, GRAPH_TYPES } from './connection-map.ts';
import { loadTypeDefs } from './schema.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const map = connectionMap();

describe('the connection map', () => {
  it('covers every field of Customer, Booking, Order and Invoice in the SDL, for every adapter of their roles', () => {
    const schema = buildSchema(loadTypeDefs().join('\n'));
    expect(map.types.map((t) => t.type)).toEqual(['Customer', 'Booking', 'Order', 'Invoice']);
    for (const type of map.types) {
      const declared = GRAPH_TYPES.find((t) => t.type === type.type)!;
      const sdlFields = Object.keys((schema.getType(type.type) as GraphQLObjectType).getFields());
      expect(type.fields.map((f) => f.field)).toEqual(sdlFields);
      // No entry for a field the SDL no longer has.
      expect(Object.keys(declared.fields).sort()).toEqual([...sdlFields].sort());
      const adapters = SOURCE_MODULES.filter((m) => (declared.roles as readonly string[]).includes(m.role));
      expect([...type.adapters].sort()).toEqual(adapters.map((m) => m.id).sort());

      const missing: string[] = [];
      for (const field of type.fields) {
        if (field.hub) continue;
        for (const adapter of type.adapters) {
          const cells = field.sources[adapter] ?? [];
          const said = cells.filter((c) => c.paths.length > 0 || c.none || c.made);
          if (cells.length === 0 || said.length !== field.from.length)
            missing.push(`${type.type}.${field.field} × ${adapter}`);
        }
      }
      expect(missing).toEqual([]);
    }
  });

  it('fails on a new field of a mapped type that has no entry', () => {
    const typeDefs = [...loadTypeDefs(), 'extend type Customer { loyaltyTier: String }'];
    expect(() => connectionMap({ typeDefs })).toThrow(
      'Customer.loyaltyTier has no entry in GRAPH_TYPES (src/graph/connection-map.ts)',
    );
  });

  it('is declared by every registered vendor module', () => {
    expect(SOURCE_MODULES.filter((m) => !m.connections).map((m) => m.id)).toEqual([]);
  });

  it('says for every calendar adapter which requests its free/busy read makes, with the docs', () => {
    const calendars = SOURCE_MODULES.filter((m) => m.role === 'calendar').map((m) => m.id);
    expect(calendars.length).toBeGreaterThan(0);
    for (const id of calendars) {
      const read = map.reads.find((r) => r.adapter === id && r.call === 'freeBusy');
      expect(read, `${id} declares no freeBusy read`).toBeDefined();
      expect(read!.requests.length).toBeGreaterThan(0);
      for (const request of read!.requests) expect(request.docs).toMatch(/^https:\/\//);
    }
    expect(connectionMapMarkdown(map)).toContain('## Other reads');
  });

  it("finds each step's port writes in its code, and every adapter of the role says how it makes them", () => {
    expect(map.operations.map((o) => o.operation)).toEqual(operationKinds.map((k) => k.kind));
    for (const op of map.operations) {
      expect(op.startedBy.length, `${op.operation} is started by nothing`).toBeGreaterThan(0);
      for (const step of op.steps) {
        expect(step.calls.length, `${op.operation} ${step.step} calls no port write`).toBeGreaterThan(0);
        const adapters = SOURCE_MODULES.filter((m) => m.role === step.role).map((m) => m.id);
        expect(Object.keys(step.adapters).sort()).toEqual(adapters.sort());
        for (const [adapter, calls] of Object.entries(step.adapters)) {
          expect(calls.map((c) => c.call)).toEqual([...step.calls, ...step.undo]);
          for (const call of calls) {
            expect(call.requests.length, `${adapter} ${call.call}`).toBeGreaterThan(0);
            expect(call.idempotency).not.toBe('');
            for (const request of call.requests) expect(request.docs).toMatch(/^https:\/\//);
          }
        }
      }
    }
    // The steps a rule or a mutation runs are those the code runs: a sample to show the derivation.
    const settle = map.operations
      .find((o) => o.operation === 'cancelBooking')!
      .steps.find((s) => s.step === 'payments.settleDeposit')!;
    expect(settle.calls).toEqual(['cancelOrder', 'refundOrder']);
    const placeOrder = map.operations.find((o) => o.operation === 'placeOrder')!;
    expect(placeOrder.steps.find((s) => s.step === 'accounting.createInvoice')!.undo).toEqual([
      'voidInvoice',
    ]);
  });

  it('names the operation each sync rule submits, and the mutation or rule that starts each operation', () => {
    const kinds = new Set(operationKinds.map((k) => k.kind));
    for (const rule of SYNC_RULES) expect(kinds.has(SYNC_RULE_EFFECTS[rule].operation), rule).toBe(true);
    expect(map.syncRules.map((r) => r.rule)).toEqual([...SYNC_RULES]);
    expect(map.operations.find((o) => o.operation === 'setNextBooking')!.startedBy).toEqual([
      'sync rule calendar-to-crm',
    ]);
    expect(map.operations.find((o) => o.operation === 'updateCustomer')!.startedBy).toEqual([
      'mutation updateCustomer',
      'sync rule crm-contact-to-others',
    ]);
  });

  it('lists webhooks and limits for every adapter, the limits being the ones the policy enforces', () => {
    for (const module of SOURCE_MODULES) {
      const webhooks = map.webhooks.find((w) => w.adapter === module.id)!;
      expect(webhooks.path).toBe(module.webhooks ? `/webhooks/${module.webhooks.path}` : null);
      expect(webhooks.events.length, module.id).toBeGreaterThan(0);
      const limits = map.limits.filter((l) => l.adapter === module.id);
      expect(limits.length, module.id).toBeGreaterThan(0);
      for (const { limits: declared } of module.connections!.limits) {
        expect(limits.some((l) => l.docs === declared.docs)).toBe(true);
      }
    }
    // The roles' order: each role's adapters together.
    expect(map.adapters.map((a) => a.role).filter((r, i, all) => all.indexOf(r) === i)).toEqual(
      ROLES.filter((r) => SOURCE_MODULES.some((m) => m.role === r)),
    );
  });

  it('is JSON: what the code declares, with no functions or dates in it', () => {
    expect(JSON.parse(JSON.stringify(map))).toEqual(map);
  });

  it('docs/CONNECTIONS.md is the markdown of the current code (`npm run generate` writes it)', () => {
    expect(readFileSync(join(ROOT, 'docs/CONNECTIONS.md'), 'utf8')).toBe(connectionMapMarkdown(map));
  });

  it('generate --check fails on a stale docs/CONNECTIONS.md, naming it', async () => {
    // A copy of the checkout, so the real one is never touched while others run tests.
    const copy = mkdtempSync(join(tmpdir(), 'sb-generate-'));
    try {
      for (const entry of [
        'scripts',
        'src',
        'sources',
        'resolvers',
        'schema',
        'docs',
        'README.md',
        'package.json',
        '.prettierrc.json',
        'tsconfig.json',
        '.prettierignore',
      ]) {
        cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      const run = () =>
        promisify(execFile)(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/generate.ts', '--check'], {
          cwd: copy,
        });
      await expect(run()).resolves.toMatchObject({ stdout: expect.stringContaining('up to date') });
      const doc = join(copy, 'docs/CONNECTIONS.md');
      writeFileSync(doc, readFileSync(doc, 'utf8').replace('`properties.email`', '`properties.mail`'));
      await expect(run()).rejects.toMatchObject({ stderr: expect.stringContaining('docs/CONNECTIONS.md') });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});
