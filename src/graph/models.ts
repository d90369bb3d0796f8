/**
 * What each GraphQL type is backed by (codegen `mappers`): resolvers receive these as parents.
 */
import type { AccountingInvoice, CalendarEvent, PaymentOrder } from '../domain/model.ts';
import type { CustomerRow } from '../store/links.ts';
import type { SyncIssue } from '../store/sync-issues.ts';
import type { WorkspaceSourceStatus } from '../observability/source-status.ts';
import type { BreakerSnapshot } from '../upstream/breaker.ts';
import type { TokenStatus } from '../upstream/oauth.ts';
import type { FailedDelivery, OperationRecord, StepRecord } from '../operations/store.ts';
import type { ApiKeyRecord } from '../security/keys.ts';
import type { AuditEntry } from '../security/audit.ts';
import type { ReconciliationRun } from '../store/reconciliation-runs.ts';
import type { ReconciliationStatus } from '../sync/reconcile.ts';

export type CustomerModel = CustomerRow;
export type BookingModel = CalendarEvent;
export type OrderModel = PaymentOrder;
export type InvoiceModel = AccountingInvoice;
export type SyncIssueModel = SyncIssue;
export type SourceModel = WorkspaceSourceStatus;
export type CircuitBreakerModel = BreakerSnapshot;
export type SourceTokenModel = TokenStatus;
export type OperationModel = OperationRecord;
export type OperationStepModel = StepRecord;
export type FailedDeliveryModel = FailedDelivery;
/** Every mutation's payload: the operation; the objects it made are read from its context. */
export type OperationPayloadModel = OperationRecord;
export type ApiKeyModel = ApiKeyRecord;
/** A key just made, with its text (shown this once). */
export type CreatedApiKeyModel = { key: ApiKeyRecord; text: string };
export type AuditEntryModel = AuditEntry;
export type ReconciliationRunModel = ReconciliationRun;
export type ReconciliationModel = ReconciliationStatus;
