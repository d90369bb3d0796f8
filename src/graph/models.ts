import type { DepositLinkRecord } from '../deposits/store.ts';
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
import type { Workspace } from '../domain/workspace.ts';

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

/** A workspace as `workspaces` lists it: the one served (its adapters) and where it comes from. */
export interface WorkspaceModel {
  served: Workspace;
  origin: 'ENVIRONMENT' | 'CONSOLE';
  createdAt: Date | null;
}
export type CreatedWorkspaceModel = { workspace: WorkspaceModel; operatorKey: string };

/** `submitEnquiry`'s answer: a reference, the hold's end and the deposit link, never the customer's data. */
export interface EnquiryPayloadModel {
  reference: string;
  heldUntil: Date | null;
  deposit: DepositLinkRecord | null;
}
