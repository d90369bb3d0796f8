import { GraphQLError } from 'graphql';

/**
 * Opaque global ids: base64url of `Type:localId`. Customers and sync issues use Switchboard's own
 * ids; bookings, orders and invoices use `system:externalId`, so a record made outside the hub
 * has a stable id without being stored, and a second adapter for the same type cannot collide.
 */
export type NodeType = 'Customer' | 'Booking' | 'Order' | 'Invoice' | 'SyncIssue' | 'Operation';
const TYPES: ReadonlySet<string> = new Set([
  'Customer',
  'Booking',
  'Order',
  'Invoice',
  'SyncIssue',
  'Operation',
]);

export function toGlobalId(type: NodeType, localId: string): string {
  return Buffer.from(`${type}:${localId}`, 'utf8').toString('base64url');
}

export function fromGlobalId(id: string): { type: NodeType; localId: string } | null {
  if (!/^[A-Za-z0-9_-]{4,600}$/.test(id)) return null;
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  const type = decoded.slice(0, colon);
  const localId = decoded.slice(colon + 1);
  if (!TYPES.has(type) || localId === '') return null;
  return { type: type as NodeType, localId };
}

/** The local id of a global id that must be of `type`; a clear BAD_USER_INPUT error otherwise. */
export function expectGlobalId(id: string, type: NodeType, argument = 'id'): string {
  const parsed = fromGlobalId(id);
  if (!parsed) {
    throw new GraphQLError(`"${argument}" is not a Switchboard id: ${JSON.stringify(id.slice(0, 80))}`, {
      extensions: { code: 'BAD_USER_INPUT', argument },
    });
  }
  if (parsed.type !== type) {
    throw new GraphQLError(`"${argument}" is the id of a ${parsed.type}, not a ${type}`, {
      extensions: { code: 'BAD_USER_INPUT', argument },
    });
  }
  return parsed.localId;
}

/** `system:externalId` local ids of bookings, orders and invoices. */
export function splitSourceId(localId: string): { system: string; externalId: string } | null {
  const colon = localId.indexOf(':');
  if (colon < 1 || colon === localId.length - 1) return null;
  return { system: localId.slice(0, colon), externalId: localId.slice(colon + 1) };
}
