import type { Money } from '../src/domain/model.ts';
import type { LineFields } from '../src/operations/kinds/shared.ts';
import { badInput } from '../src/graph/errors.ts';

/**
 * Input checks every write runs before anything is stored or sent: a clear BAD_USER_INPUT naming
 * the argument and the value received.
 */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function checkCurrency(currency: string, argument = 'currency'): string {
  const code = currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code) || !CURRENCIES.has(code)) {
    throw badInput(
      `"${argument}" must be an ISO 4217 currency code such as GBP, got ${JSON.stringify(currency)}`,
      argument,
    );
  }
  return code;
}

export function checkMoney(money: { amount: number; currency: string }, argument: string): Money {
  if (!Number.isSafeInteger(money.amount) || money.amount < 1) {
    throw badInput(
      `"${argument}.amount" is in minor units (pence for GBP) and must be a whole number of at least 1, got ${money.amount}`,
      argument,
    );
  }
  return { amount: money.amount, currency: checkCurrency(money.currency, `${argument}.currency`) };
}

export function checkLines(
  lines: Array<{ description: string; quantity?: number | null; unitAmount: number }>,
): LineFields[] {
  if (lines.length === 0) throw badInput('"lines" needs at least one line', 'lines');
  if (lines.length > 100) throw badInput(`"lines" takes at most 100 lines, got ${lines.length}`, 'lines');
  return lines.map((line, i) => {
    const description = line.description.trim();
    const quantity = line.quantity ?? 1;
    if (!description) throw badInput(`"lines[${i}].description" is empty`, 'lines');
    if (description.length > 500) throw badInput(`"lines[${i}].description" is over 500 characters`, 'lines');
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      throw badInput(`"lines[${i}].quantity" must be a whole number of at least 1, got ${quantity}`, 'lines');
    }
    if (!Number.isSafeInteger(line.unitAmount) || line.unitAmount < 1) {
      throw badInput(
        `"lines[${i}].unitAmount" is in minor units and must be a whole number of at least 1, got ${line.unitAmount}`,
        'lines',
      );
    }
    return { description, quantity, unitAmount: line.unitAmount };
  });
}

export function checkWindowOrder(start: Date, end: Date): void {
  if (!(end > start)) {
    throw badInput(`"end" (${end.toISOString()}) must be after "start" (${start.toISOString()})`, 'end');
  }
  if (end.getTime() - start.getTime() > 24 * 3_600_000)
    throw badInput('a booking lasts at most 24 hours', 'end');
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(email: string, argument = 'email'): string {
  const trimmed = email.trim();
  if (!EMAIL.test(trimmed) || trimmed.length > 254) {
    throw badInput(`"${argument}" is not an email address: ${JSON.stringify(email)}`, argument);
  }
  return trimmed;
}

export function checkName(value: string, argument: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw badInput(`"${argument}" is empty`, argument);
  if (trimmed.length > 100) throw badInput(`"${argument}" is over 100 characters`, argument);
  return trimmed;
}
