import { describe, expect, it } from 'vitest';
import { ResponseError } from '../../../src/sandbox/kit/http.ts';
import { applyMetadata, decodeForm, fingerprint, readParams } from './form.ts';

/** The Stripe error a call throws, or a test failure. */
function stripeErrorOf(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    if (error instanceof ResponseError) {
      expect(error.response.status).toBe(400);
      return (error.response.body as { error: Record<string, unknown> }).error;
    }
    throw error;
  }
  throw new Error('expected a 400');
}

describe('decodeForm + readParams', () => {
  it('reads nested hashes, both array forms, booleans, integers and ranges', () => {
    const form = decodeForm(
      'amount=1200&confirm=true&metadata[order]=ord-1&metadata[note]=&expand[]=customer&expand[]=latest_charge' +
        '&payment_method_types[0]=card&created[gte]=100&created[lt]=200&description=Deep+tissue%20%C2%A3',
    );
    const params = readParams(form, {
      amount: { type: 'integer', required: true },
      confirm: { type: 'boolean' },
      metadata: { type: 'metadata' },
      expand: { type: 'expand' },
      payment_method_types: { type: 'strings' },
      created: { type: 'range' },
      description: { type: 'string' },
    });
    expect(params).toEqual({
      amount: 1200,
      confirm: true,
      metadata: { order: 'ord-1', note: null },
      expand: ['customer', 'latest_charge'],
      payment_method_types: ['card'],
      created: { gte: 100, lt: 200 },
      description: 'Deep tissue £',
    });
  });

  it('orders indexed arrays by index and treats a bare created as an exact match', () => {
    const params = readParams(decodeForm('expand[1]=b&expand[0]=a&created=5'), {
      expand: { type: 'expand' },
      created: { type: 'range' },
    });
    expect(params).toEqual({ expand: ['a', 'b'], created: { gte: 5, lte: 5 } });
  });

  it('unsets with empty strings where Stripe allows it', () => {
    const spec = { metadata: { type: 'metadata' }, name: { type: 'string', nullable: true } } as const;
    expect(readParams(decodeForm('metadata=&name='), spec)).toEqual({ metadata: null, name: null });
    expect(applyMetadata({ a: '1', b: '2' }, { a: null, c: '3' })).toEqual({ b: '2', c: '3' });
    expect(applyMetadata({ a: '1' }, null)).toEqual({});
    const err = stripeErrorOf(() => readParams(decodeForm('currency='), { currency: { type: 'string' } }));
    expect(err).toMatchObject({ code: 'parameter_invalid_empty', param: 'currency' });
  });

  it("names unknown, missing and mistyped parameters the way Stripe's errors do", () => {
    const spec = {
      address: { type: 'object', fields: { city: { type: 'string' } } },
      amount: { type: 'integer', required: true },
    } as const;
    expect(stripeErrorOf(() => readParams(decodeForm('amount=1&address[town]=x'), spec))).toMatchObject({
      code: 'parameter_unknown',
      param: 'address[town]',
      message: 'Received unknown parameter: address[town]',
    });
    expect(stripeErrorOf(() => readParams(decodeForm(''), spec))).toMatchObject({
      code: 'parameter_missing',
      message: 'Missing required param: amount.',
    });
    expect(stripeErrorOf(() => readParams(decodeForm('amount=1.5'), spec))).toMatchObject({
      code: 'parameter_invalid_integer',
    });
    expect(stripeErrorOf(() => readParams(decodeForm('amount=1&address=Bath'), spec))).toMatchObject({
      message: 'Invalid object',
      param: 'address',
    });
    expect(stripeErrorOf(() => readParams(decodeForm('amount[x]=1'), spec))).toMatchObject({
      param: 'amount',
    });
    expect(
      stripeErrorOf(() => readParams(decodeForm('metadata[a][b]=1'), { metadata: { type: 'metadata' } })),
    ).toMatchObject({ param: 'metadata[a]' });
  });

  it('rejects malformed names, bad percent-encoding and value/hash conflicts', () => {
    expect(stripeErrorOf(() => decodeForm('metadata[a=1')).message).toContain('malformed parameter name');
    expect(stripeErrorOf(() => decodeForm('[a]=1')).message).toContain('malformed parameter name');
    expect(stripeErrorOf(() => decodeForm('name=%E0%A4%A')).message).toContain('percent-encoding');
    expect(stripeErrorOf(() => decodeForm('a=1&a[b]=2')).message).toContain("'a'");
    expect(stripeErrorOf(() => decodeForm('a[b]=2&a=1')).message).toContain("'a'");
  });

  it('fingerprints parameters regardless of order', () => {
    expect(fingerprint(decodeForm('a=1&metadata[x]=1&metadata[y]=2'))).toBe(
      fingerprint(decodeForm('metadata[y]=2&a=1&metadata[x]=1')),
    );
    expect(fingerprint(decodeForm('a=1'))).not.toBe(fingerprint(decodeForm('a=2')));
  });
});
