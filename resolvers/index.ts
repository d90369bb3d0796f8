import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { adminResolvers } from './admin.ts';
import { bookingResolvers } from './booking.ts';
import { customerResolvers } from './customer.ts';
import { invoiceResolvers } from './invoice.ts';
import { nodeResolvers } from './node.ts';
import { orderResolvers } from './order.ts';
import { scalarResolvers } from './scalars.ts';
import { operationResolvers } from './operations.ts';
import { customerWriteResolvers } from './customer-writes.ts';
import { bookingWriteResolvers } from './booking-writes.ts';
import { orderWriteResolvers } from './order-writes.ts';
import { subscriptionResolvers } from './subscriptions.ts';
import { securityResolvers } from './security.ts';
import { reconciliationResolvers } from './reconciliation.ts';
import { connectionResolvers } from './connections.ts';
import { workspaceResolvers } from './workspaces.ts';
import { webhookEndpointResolvers } from './webhook-endpoints.ts';
import { availabilityResolvers } from './availability.ts';
import { enquiryResolvers } from './enquiries.ts';
import { depositResolvers } from './deposits.ts';

const parts: Resolvers[] = [
  scalarResolvers,
  nodeResolvers,
  customerResolvers,
  bookingResolvers,
  orderResolvers,
  invoiceResolvers,
  adminResolvers,
  operationResolvers,
  customerWriteResolvers,
  bookingWriteResolvers,
  orderWriteResolvers,
  subscriptionResolvers,
  securityResolvers,
  reconciliationResolvers,
  connectionResolvers,
  workspaceResolvers,
  webhookEndpointResolvers,
  availabilityResolvers,
  enquiryResolvers,
  depositResolvers,
];

/** One resolver map from the per-type files; a type defined in two files is a mistake and throws. */
export function buildResolvers(): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) {
      if (fields && typeof fields === 'object' && !('serialize' in fields)) {
        const target = (merged[type] ??= {});
        for (const [field, resolver] of Object.entries(fields)) {
          if (field in target) throw new Error(`resolver ${type}.${field} is defined twice`);
          target[field] = resolver;
        }
      } else merged[type] = fields as Record<string, unknown>;
    }
  }
  return merged as Resolvers;
}
