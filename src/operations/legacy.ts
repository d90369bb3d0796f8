import type { Role } from '../domain/source-module.ts';
import { SOURCE_MODULES } from '../../sources/registry.ts';

/**
 * Operations stored before the core spoke roles named their steps and inputs after vendors
 * (`<vendor>.createDeposit`, `<vendor>CustomerId`, `links: { <vendor>: id }`). Migration 0005 rewrites
 * the rows in flight with these functions, and the engine reads any name it still meets through
 * them, so an operation queued before an upgrade finishes after it. The vendor prefixes come from the
 * registry (a module's id, or its first word: a step once named `<first word>.createEvent`).
 */
function roleOfPrefix(prefix: string): Role | undefined {
  const lower = prefix.toLowerCase();
  return SOURCE_MODULES.find((m) => m.id === lower || m.id.split('_')[0] === lower)?.role;
}

/** `<vendor>.createDeposit` → `payments.createDeposit`; a role's name is returned as it is. */
export function roleStepName(name: string): string {
  const dot = name.indexOf('.');
  if (dot < 0) return name;
  const role = roleOfPrefix(name.slice(0, dot));
  return role ? `${role}${name.slice(dot)}` : name;
}

/** `<vendor>CustomerId` → `paymentsCustomerId`; other keys as they are. */
export function roleKey(key: string): string {
  const match = /^([a-z]+)([A-Z]\w*Id)$/.exec(key);
  const role = match && roleOfPrefix(match[1]!);
  return role ? `${role}${match![2]}` : key;
}

/** An input, context or result object with its vendor-named keys renamed (and `links` keyed by role). */
export function roleKeyed(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
      if (key === 'links' && inner && typeof inner === 'object' && !Array.isArray(inner)) {
        return [
          key,
          Object.fromEntries(
            Object.entries(inner as Record<string, unknown>).map(([system, id]) => [
              roleOfPrefix(system) ?? system,
              id,
            ]),
          ),
        ];
      }
      return [roleKey(key), inner];
    }),
  );
}
