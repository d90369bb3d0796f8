import type { Route } from '../../../src/sandbox/kit/http.ts';
import { route } from './api.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { applyMetadata, readParams, type MetadataPatch } from './form.ts';
import {
  CREATED_SPEC,
  LIST_SPECS,
  expandList,
  expandObject,
  inRange,
  newestFirst,
  paginate,
} from './lists.ts';
import { newRefund, type Charge, type Refund } from './objects.ts';
import { findIntent, formatMoney } from './payment-intents.ts';
import { previousAttributes, type Origin, type StripeState } from './state.ts';

// https://docs.stripe.com/api/charges and https://docs.stripe.com/api/refunds

function findCharge(state: StripeState, id: string, param = 'id', status = 404): Charge {
  const charge = state.charges.get(id);
  if (!charge) throw noSuch('charge', id, param, status);
  return charge;
}

const refundedSoFar = (state: StripeState, chargeId: string) =>
  [...state.refunds.values()]
    .filter((r) => r.charge === chargeId && (r.status === 'succeeded' || r.status === 'pending'))
    .reduce((sum, r) => sum + r.amount, 0);

export interface RefundInput {
  charge?: string;
  payment_intent?: string;
  amount?: number;
  reason?: Refund['reason'];
  metadata?: MetadataPatch;
}

/**
 * Refunds all or part of a payment's successful charge: `refund.created` and `charge.refunded`
 * (with the charge's previous `amount_refunded`). Used by the API and the admin refund action.
 */
export function createRefund(
  state: StripeState,
  input: RefundInput,
  origin: Origin,
): { refund: Refund; charge: Charge } {
  if (input.charge === undefined && input.payment_intent === undefined) {
    throw invalidRequest(
      'One of the following params should be provided for this request: payment_intent or charge.',
    );
  }
  let charge: Charge | undefined;
  if (input.payment_intent !== undefined) {
    const pi = findIntent(state, input.payment_intent, 'payment_intent', 400);
    charge = pi.latest_charge ? state.charges.get(pi.latest_charge) : undefined;
    if (!charge || pi.status !== 'succeeded') {
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
        code: 'charge_not_refundable',
      });
    }
  }
  if (input.charge !== undefined) {
    const named = findCharge(state, input.charge, 'charge', 400);
    if (charge && charge.id !== named.id) {
      throw invalidRequest(
        `The charge ${named.id} does not belong to the PaymentIntent ${input.payment_intent}.`,
        {
          param: 'charge',
        },
      );
    }
    charge = named;
  }
  const target = charge as Charge;
  if (target.status !== 'succeeded') {
    throw invalidRequest(
      `Charge ${target.id} has not succeeded (status ${target.status}), so it cannot be refunded.`,
      {
        param: 'charge',
        code: 'charge_not_refundable',
      },
    );
  }
  const refundable = target.amount_captured - refundedSoFar(state, target.id);
  if (refundable <= 0) {
    throw invalidRequest(`Charge ${target.id} has already been refunded.`, {
      code: 'charge_already_refunded',
    });
  }
  const amount = input.amount ?? refundable;
  if (amount > refundable) {
    throw invalidRequest(
      `Refund amount (${formatMoney(amount, target.currency)}) is greater than unrefunded amount on charge (${formatMoney(refundable, target.currency)})`,
      { param: 'amount', code: 'amount_too_large' },
    );
  }
  const refund = newRefund({
    id: state.mint('re_', 24),
    created: state.now(),
    amount,
    charge: target,
    reason: input.reason ?? null,
    metadata: applyMetadata({}, input.metadata),
    balanceTransaction: state.mint('txn_', 24),
  });
  state.refunds.set(refund.id, refund);
  const before = structuredClone(target);
  target.amount_refunded += amount;
  target.refunded = target.amount_refunded >= target.amount;
  state.emit('refund.created', refund, origin);
  state.emit('charge.refunded', target, origin, previousAttributes(before, target));
  return { refund, charge: target };
}

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export function chargeAndRefundRoutes(state: StripeState): Route[] {
  return [
    route('GET', '/v1/charges', 'charges.list', ({ form }) => {
      const params = readParams(form, {
        ...LIST_SPECS,
        ...CREATED_SPEC,
        customer: { type: 'string' },
        payment_intent: { type: 'string' },
      });
      const page = paginate({
        all: newestFirst(state.charges),
        keep: (ch) =>
          inRange(ch.created, params.created) &&
          (params.customer === undefined || ch.customer === params.customer) &&
          (params.payment_intent === undefined || ch.payment_intent === params.payment_intent),
        params,
        url: '/v1/charges',
        objectName: 'charge',
      });
      return { ...page, data: expandList(state, page.data, 'charge', params.expand).data };
    }),
    route('GET', '/v1/charges/:id', 'charges.retrieve', ({ req, form }) => {
      const params = readParams(form, { expand: { type: 'expand' } });
      return expandObject(state, findCharge(state, req.params.id ?? ''), 'charge', params.expand);
    }),
    route('POST', '/v1/charges/:id', 'charges.update', ({ req, form, origin }) => {
      const params = readParams(form, {
        description: { type: 'string', nullable: true },
        metadata: { type: 'metadata' },
        receipt_email: { type: 'string', nullable: true },
        expand: { type: 'expand' },
      });
      const charge = findCharge(state, req.params.id ?? '');
      const before = structuredClone(charge);
      if (params.description !== undefined) charge.description = params.description;
      if (params.receipt_email !== undefined) charge.receipt_email = params.receipt_email;
      charge.metadata = applyMetadata(charge.metadata, params.metadata);
      const previous = previousAttributes(before, charge);
      if (Object.keys(previous).length > 0) state.emit('charge.updated', charge, origin, previous);
      return expandObject(state, charge, 'charge', params.expand);
    }),
    route('POST', '/v1/refunds', 'refunds.create', ({ form, origin }) => {
      const params = readParams(form, {
        charge: { type: 'string' },
        payment_intent: { type: 'string' },
        amount: { type: 'integer', min: 1 },
        reason: { type: 'string', enum: REFUND_REASONS },
        metadata: { type: 'metadata' },
        expand: { type: 'expand' },
      });
      const { refund } = createRefund(
        state,
        { ...params, reason: params.reason as Refund['reason'] | undefined },
        origin,
      );
      return expandObject(state, refund, 'refund', params.expand);
    }),
    route('GET', '/v1/refunds', 'refunds.list', ({ form }) => {
      const params = readParams(form, {
        ...LIST_SPECS,
        ...CREATED_SPEC,
        charge: { type: 'string' },
        payment_intent: { type: 'string' },
      });
      const page = paginate({
        all: newestFirst(state.refunds),
        keep: (re) =>
          inRange(re.created, params.created) &&
          (params.charge === undefined || re.charge === params.charge) &&
          (params.payment_intent === undefined || re.payment_intent === params.payment_intent),
        params,
        url: '/v1/refunds',
        objectName: 'refund',
      });
      return { ...page, data: expandList(state, page.data, 'refund', params.expand).data };
    }),
    route('GET', '/v1/refunds/:id', 'refunds.retrieve', ({ req, form }) => {
      const params = readParams(form, { expand: { type: 'expand' } });
      const refund = state.refunds.get(req.params.id ?? '');
      if (!refund) throw noSuch('refund', req.params.id ?? '');
      return expandObject(state, refund, 'refund', params.expand);
    }),
    route('POST', '/v1/refunds/:id', 'refunds.update', ({ req, form, origin }) => {
      const params = readParams(form, { metadata: { type: 'metadata' }, expand: { type: 'expand' } });
      const refund = state.refunds.get(req.params.id ?? '');
      if (!refund) throw noSuch('refund', req.params.id ?? '');
      const before = structuredClone(refund);
      refund.metadata = applyMetadata(refund.metadata, params.metadata);
      const previous = previousAttributes(before, refund);
      if (Object.keys(previous).length > 0) state.emit('refund.updated', refund, origin, previous);
      return expandObject(state, refund, 'refund', params.expand);
    }),
  ];
}
