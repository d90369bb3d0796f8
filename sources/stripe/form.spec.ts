import { describe, expect, it } from 'vitest';
import { encodeForm, FormKeyError } from './form.ts';
import { decodeForm, type FormTree } from './sandbox/form.ts';

/** The sandbox's decoder as plain objects, to check the encoder round-trips through Stripe's format. */
const plain = (tree: FormTree): unknown =>
  Object.fromEntries(
    [...tree.entries()].map(([k, v]) => [
      k.replaceAll(String.fromCharCode(0), '+'),
      typeof v === 'string' ? v : plain(v),
    ]),
  );

describe('Stripe form encoder', () => {
  it('encodes scalars, nested objects as bracket keys and scalar arrays as key[]', () => {
    expect(
      encodeForm({
        amount: 5000,
        currency: 'gbp',
        confirm: false,
        metadata: { order_ref: 'ord-1', booking_ref: 'bk 1' },
        automatic_payment_methods: { enabled: true },
        expand: ['latest_charge', 'customer'],
      }),
    ).toBe(
      'amount=5000&currency=gbp&confirm=false&metadata[order_ref]=ord-1&metadata[booking_ref]=bk%201' +
        '&automatic_payment_methods[enabled]=true&expand[]=latest_charge&expand[]=customer',
    );
  });

  it('leaves undefined out, sends null as the empty string that unsets, and never sends an empty object', () => {
    expect(encodeForm({ name: undefined, phone: null, metadata: {}, expand: [], email: 'a@b.co' })).toBe(
      'phone=&email=a%40b.co',
    );
    expect(encodeForm({ metadata: { gone: '', kept: 'x' } })).toBe('metadata[gone]=&metadata[kept]=x');
    expect(encodeForm({})).toBe('');
  });

  it('indexes arrays of objects and percent-encodes keys and values', () => {
    expect(encodeForm({ items: [{ price: 'p_1', quantity: 2 }, { price: 'p_2' }] })).toBe(
      'items[0][price]=p_1&items[0][quantity]=2&items[1][price]=p_2',
    );
    expect(encodeForm({ metadata: { 'a&b=c': 'x&y=z+£' } })).toBe('metadata[a%26b%3Dc]=x%26y%3Dz%2B%C2%A3');
  });

  it('refuses what it cannot encode faithfully', () => {
    expect(() => encodeForm({ metadata: { 'a[b]': 'x' } })).toThrow(FormKeyError);
    expect(() => encodeForm({ amount: Number.NaN })).toThrow(/finite/);
  });

  it('round-trips through the sandbox decoder (Stripe’s parsing)', () => {
    const body = encodeForm({
      email: 'Zoë O’Brien+test@example.com',
      name: 'Zoë O’Brien',
      metadata: { switchboard_id: 'sb_1', 'weird key': 'a=b&c' },
      automatic_payment_methods: { enabled: true },
      expand: ['latest_charge'],
    });
    expect(plain(decodeForm(body))).toEqual({
      email: 'Zoë O’Brien+test@example.com',
      name: 'Zoë O’Brien',
      metadata: { switchboard_id: 'sb_1', 'weird key': 'a=b&c' },
      automatic_payment_methods: { enabled: 'true' },
      expand: { '+0': 'latest_charge' },
    });
  });
});
