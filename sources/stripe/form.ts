/**
 * Stripe v1 takes `application/x-www-form-urlencoded` bodies with bracketed nesting
 * (https://docs.stripe.com/api/expanding_objects, https://docs.stripe.com/api/metadata):
 * `metadata[k]=v`, `automatic_payment_methods[enabled]=true`, `expand[]=latest_charge`,
 * `items[0][price]=x`. This is the encoder for the connector's writes (the sandbox has the decoder).
 *
 * - `undefined` is left out; `null` becomes an empty string, which is how Stripe unsets a field
 *   (`phone=` clears the phone, `metadata[k]=` deletes one metadata key).
 * - Nested objects become bracketed keys. An empty object or array sends nothing (so `metadata: {}`
 *   can never turn into `metadata=`, which would clear every key).
 * - Arrays of scalars are `key[]=v` (as Stripe's docs write `expand[]`); arrays of objects are
 *   indexed, `key[0][field]=v`, which is the only unambiguous form for them.
 * - Key order is the input's insertion order, so the same input always gives the same body (Stripe
 *   compares a retried request's parameters with the first one's under the same idempotency key).
 */
export type FormInput = string | number | boolean | null | undefined | FormObject | FormInput[];
export interface FormObject {
  [key: string]: FormInput;
}

/** Brackets are structure in this format: a key holding one cannot be sent faithfully. */
export class FormKeyError extends Error {
  constructor(readonly key: string) {
    super(`form key "${key}" contains a square bracket, which Stripe would read as nesting`);
    this.name = 'FormKeyError';
  }
}

const encodeKeyPart = (part: string): string => {
  if (/[[\]]/.test(part)) throw new FormKeyError(part);
  return encodeURIComponent(part);
};

const scalar = (value: string | number | boolean | null): string => {
  if (value === null) return '';
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`form value ${value} is not a finite number`);
  }
  return String(value);
};

const isObject = (value: FormInput): value is FormObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function encodeForm(params: FormObject): string {
  const pairs: string[] = [];
  const walk = (key: string, value: FormInput): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) =>
        walk(isObject(item) || Array.isArray(item) ? `${key}[${i}]` : `${key}[]`, item),
      );
      return;
    }
    if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${key}[${encodeKeyPart(k)}]`, v);
      return;
    }
    pairs.push(`${key}=${encodeURIComponent(scalar(value))}`);
  };
  for (const [k, v] of Object.entries(params)) walk(encodeKeyPart(k), v);
  return pairs.join('&');
}
