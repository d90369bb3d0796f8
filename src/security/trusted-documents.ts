import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Reads a trusted-documents file: a JSON object from each document's SHA-256 (hex, as clients send it
 * in `extensions.persistedQuery.sha256Hash`) to its text, the format GraphQL Code Generator's client
 * preset writes. Throws a message naming the file and the first bad entry.
 */
export function loadTrustedDocuments(path: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `SWITCHBOARD_TRUSTED_DOCUMENTS: cannot read ${path} as JSON (${(error as Error).message})`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`SWITCHBOARD_TRUSTED_DOCUMENTS: ${path} must hold an object of "<sha256>": "<document>"`);
  }
  const documents = new Map<string, string>();
  for (const [id, text] of Object.entries(parsed)) {
    if (typeof text !== 'string')
      throw new Error(`SWITCHBOARD_TRUSTED_DOCUMENTS: the entry ${id} in ${path} is not a string`);
    const actual = createHash('sha256').update(text).digest('hex');
    if (actual !== id) {
      throw new Error(
        `SWITCHBOARD_TRUSTED_DOCUMENTS: the entry ${id} in ${path} hashes to ${actual}; the id must be the SHA-256 of the text`,
      );
    }
    documents.set(id, text);
  }
  return documents;
}
