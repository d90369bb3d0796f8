import type { OperationKind } from '../engine.ts';
import { cancelBooking, createBooking, rescheduleBooking, setNextBooking } from './booking.ts';
import { createCustomer, resolveSyncIssue, updateCustomer } from './customer.ts';
import { issueInvoice, recordPayment } from './invoice.ts';
import { placeOrder, refundOrder } from './order.ts';
import { depositPaid, releaseHold, requestDeposit } from './deposit.ts';
import { submitEnquiry } from './enquiry.ts';

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
  submitEnquiry,
  requestDeposit,
  depositPaid,
  releaseHold,
] as unknown as Array<OperationKind<never>>;
