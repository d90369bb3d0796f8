/**
 * The template's sandbox: the kit's server (admin surface, faults, request log, webhooks) with the
 * vendor's routes, loaded from the seed business. Grow it route by route against the vendor's docs
 * until the vendor's own SDK works against it with only its base URL changed (CHECKLIST.md, step 7).
 */
import { startSandboxServer } from '../../../src/sandbox/kit/http.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';

export const EXAMPLE_SANDBOX_CREDENTIALS = { apiKey: 'example-sandbox-key' } as const;

export async function startExampleSandbox(options: VendorSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const contacts = () =>
    business.customers.map((c, i) => ({
      id: String(i + 1),
      email: c.email,
      first_name: c.firstName,
      last_name: c.lastName,
      name: `${c.firstName} ${c.lastName}`,
    }));
  const running = await startSandboxServer(
    {
      name: 'example',
      routes: [
        {
          method: 'GET',
          path: '/v1/contacts',
          operation: 'contacts.list',
          handler: (req) => {
            if (req.headers.authorization !== `Bearer ${EXAMPLE_SANDBOX_CREDENTIALS.apiKey}`)
              return { status: 401, body: { error: 'unauthorized' } };
            const ids = new Set(req.url.searchParams.getAll('ids'));
            return {
              status: 200,
              body: { contacts: contacts().filter((c) => ids.size === 0 || ids.has(c.id)) },
            };
          },
        },
      ],
      errorResponse: (status, message) => ({ status, body: { error: message } }),
      reset: () => {},
    },
    { port: options.port, host: options.host },
  );
  return { ...running, credentials: { ...EXAMPLE_SANDBOX_CREDENTIALS } };
}
