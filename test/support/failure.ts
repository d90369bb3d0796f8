import { expect } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';

/** Awaits a promise that must reject with a SourceError, and returns the error. */
export async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected a SourceError');
}
