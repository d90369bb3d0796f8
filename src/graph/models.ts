/**
 * What each GraphQL type is backed by (codegen `mappers`): resolvers receive these as parents.
 */
import type { AccountingInvoice, CalendarEvent, PaymentOrder } from '../domain/model.ts';
import type { CustomerRow } from '../store/links.ts';
import type { SyncIssue } from '../store/sync-issues.ts';
import type { SourceHealth } from '../upstream/client.ts';

export type CustomerModel = CustomerRow;
export type BookingModel = CalendarEvent;
export type OrderModel = PaymentOrder;
export type InvoiceModel = AccountingInvoice;
export type SyncIssueModel = SyncIssue;
export type SourceModel = SourceHealth & { baseUrl: string };
