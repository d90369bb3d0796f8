import { SourceError } from '../domain/errors.ts';
import type { SourceName } from '../domain/model.ts';

/**
 * Small readers for vendor responses, so a shape the connector did not expect fails at the boundary
 * with a message that names the vendor, the thing and the field, instead of as a TypeError deep in
 * a resolver.
 */
export interface Reader {
  object(value: unknown, what: string): Record<string, unknown>;
  array(value: unknown, what: string): unknown[];
  string(obj: Record<string, unknown>, key: string, what: string): string;
  optionalString(obj: Record<string, unknown>, key: string): string | null;
  number(obj: Record<string, unknown>, key: string, what: string): number;
  optionalNumber(obj: Record<string, unknown>, key: string): number | null;
  date(value: unknown, what: string): Date;
  optionalDate(value: unknown): Date | null;
}

export function createReader(source: SourceName): Reader {
  const bad = (message: string): never => {
    throw new SourceError(source, 'UPSTREAM_ERROR', `${source} sent an unexpected response: ${message}`);
  };
  const describe = (value: unknown) =>
    value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  const reader: Reader = {
    object(value, what) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return bad(`${what} should be an object, got ${describe(value)}`);
      }
      return value as Record<string, unknown>;
    },
    array(value, what) {
      if (!Array.isArray(value)) return bad(`${what} should be a list, got ${describe(value)}`);
      return value;
    },
    string(obj, key, what) {
      const value = obj[key];
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return String(value);
      return bad(`${what}.${key} should be a string, got ${describe(value)}`);
    },
    optionalString(obj, key) {
      const value = obj[key];
      if (typeof value === 'string') return value === '' ? null : value;
      if (typeof value === 'number') return String(value);
      return null;
    },
    number(obj, key, what) {
      const value = obj[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return bad(`${what}.${key} should be a number, got ${describe(value)}`);
    },
    optionalNumber(obj, key) {
      const value = obj[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return null;
    },
    date(value, what) {
      const date = reader.optionalDate(value);
      return date ?? bad(`${what} should be a date, got ${JSON.stringify(value)}`);
    },
    optionalDate(value) {
      if (value instanceof Date) return value;
      if (typeof value === 'number') return new Date(value);
      if (typeof value !== 'string' || value === '') return null;
      const date = new Date(/^\d+$/.test(value) ? Number(value) : value);
      return Number.isNaN(date.getTime()) ? null : date;
    },
  };
  return reader;
}

/** Splits keys into chunks of at most `size`, keeping order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
