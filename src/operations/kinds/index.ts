import type { OperationKind } from '../engine.ts';
import { cancelBooking, createBooking, rescheduleBooking, setNextBooking } from './booking.ts';
import { createCustomer, resolveSyncIssue, updateCustomer } from './customer.ts';
import { issueInvoice, recordPayment } from './invoice.ts';
import { placeOrder, refundOrder } from './order.ts';

/** Every kind of write the hub performs. */
export const operationKinds = [
  createCustomer,
  updateCustomer,
  resolveSyncIssue,
  createBooking,
  rescheduleBooking,
  cancelBooking,
  setNextBooking,
  placeOrder,
  refundOrder,
  issueInvoice,
  recordPayment,
] as unknown as Array<OperationKind<never>>;
