import type { CodegenConfig } from '@graphql-codegen/cli';

// `npm run codegen` regenerates the resolver types from schema/; CI fails when the checked-in file
// differs (`npm run codegen:check`).
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'src/graph/resolvers-types.generated.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        useIndexSignature: true,
        enumsAsTypes: true,
        contextType: './context.ts#GraphContext',
        scalars: { DateTime: 'Date', JSON: 'unknown' },
        mappers: {
          Customer: './models.ts#CustomerModel',
          Booking: './models.ts#BookingModel',
          Order: './models.ts#OrderModel',
          Invoice: './models.ts#InvoiceModel',
          SyncIssue: './models.ts#SyncIssueModel',
          Source: './models.ts#SourceModel',
          CircuitBreaker: './models.ts#CircuitBreakerModel',
          SourceToken: './models.ts#SourceTokenModel',
          Money: '../domain/model.ts#Money as MoneyModel',
          Operation: './models.ts#OperationModel',
          OperationStep: './models.ts#OperationStepModel',
          FailedDelivery: './models.ts#FailedDeliveryModel',
          CustomerPayload: './models.ts#OperationPayloadModel',
          BookingPayload: './models.ts#OperationPayloadModel',
          OrderPayload: './models.ts#OperationPayloadModel',
          InvoicePayload: './models.ts#OperationPayloadModel',
          Event: '../events/types.ts#DomainEvent',
          ApiKey: './models.ts#ApiKeyModel',
          CreatedApiKey: './models.ts#CreatedApiKeyModel',
          AuditEntry: './models.ts#AuditEntryModel',
          ReconciliationRun: './models.ts#ReconciliationRunModel',
          Reconciliation: './models.ts#ReconciliationModel',
          Workspace: './models.ts#WorkspaceModel',
          CreatedWorkspace: './models.ts#CreatedWorkspaceModel',
          WebhookEndpoint: '../outbound/store.ts#EndpointRecord',
          CreatedWebhookEndpoint: '../outbound/store.ts#CreatedEndpoint',
          WebhookDelivery: '../outbound/store.ts#DeliveryRecord',
          DepositLink: '../deposits/store.ts#DepositLinkRecord',
          EnquiryPayload: './models.ts#EnquiryPayloadModel',
        },
        // Import paths in the generated file carry .ts, as everything else here (NodeNext + tsx).
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
