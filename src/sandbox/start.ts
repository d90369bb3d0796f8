import { generateBusiness, type BusinessOptions } from './seed/business.ts';
import type { VendorSandbox } from './types.ts';
import type { WebhookSettings } from './kit/webhooks.ts';
import { startStripeSandbox } from '../../sources/stripe/sandbox/server.ts';
import { startHubspotSandbox, type HubspotSandboxOptions } from '../../sources/hubspot/sandbox/server.ts';
import { startGoogleCalendarSandbox } from '../../sources/google-calendar/sandbox/server.ts';
import { startXeroSandbox, type XeroSandboxOptions } from '../../sources/xero/sandbox/server.ts';

export interface Sandboxes {
  stripe: VendorSandbox;
  hubspot: VendorSandbox;
  googleCalendar: VendorSandbox;
  xero: VendorSandbox;
  all: VendorSandbox[];
  close(): Promise<void>;
}

/** Fixed ports used by `npm run sandbox`, so a hub started separately can find them. */
export const SANDBOX_PORTS = { stripe: 12111, hubspot: 12112, googleCalendar: 12113, xero: 12114 } as const;

export interface StartSandboxesOptions {
  seed?: BusinessOptions;
  host?: string;
  /** Ports per sandbox; 0 or absent picks a free port (tests, `npm start`). */
  ports?: Partial<Record<keyof typeof SANDBOX_PORTS, number>>;
  webhooks?: Partial<WebhookSettings>;
  /** Vendor rate limits; each defaults to the vendor's published limits. */
  limits?: { hubspot?: HubspotSandboxOptions['limits']; xero?: XeroSandboxOptions['limits'] };
}

/** Limits high enough that tests and benchmarks which are not about rate limits never meet them. */
export const RELAXED_LIMITS: NonNullable<StartSandboxesOptions['limits']> = {
  hubspot: { tenSecondly: 100_000, searchPerSecond: 10_000 },
  xero: { perMinute: 100_000, perDay: 1_000_000, concurrent: 1_000, appPerMinute: 1_000_000 },
};

export type SandboxKey = keyof typeof SANDBOX_PORTS;
export const SANDBOX_KEYS: readonly SandboxKey[] = ['stripe', 'hubspot', 'googleCalendar', 'xero'];

/** Starts one vendor's sandbox; `startSandboxes` starts all four from one business. */
export function startSandbox(key: SandboxKey, options: StartSandboxesOptions = {}): Promise<VendorSandbox> {
  const common = { business: generateBusiness(options.seed), host: options.host, webhooks: options.webhooks };
  return starters[key](common, options);
}

type Starter = (
  common: {
    business: ReturnType<typeof generateBusiness>;
    host?: string;
    webhooks?: Partial<WebhookSettings>;
  },
  options: StartSandboxesOptions,
) => Promise<VendorSandbox>;

const starters: Record<SandboxKey, Starter> = {
  stripe: (common, options) => startStripeSandbox({ ...common, port: options.ports?.stripe }),
  hubspot: (common, options) =>
    startHubspotSandbox({ ...common, port: options.ports?.hubspot, limits: options.limits?.hubspot }),
  googleCalendar: (common, options) =>
    startGoogleCalendarSandbox({ ...common, port: options.ports?.googleCalendar }),
  xero: (common, options) =>
    startXeroSandbox({ ...common, port: options.ports?.xero, limits: options.limits?.xero }),
};

/** Starts the four vendor sandboxes in this process, all loaded from one seed business. */
export async function startSandboxes(options: StartSandboxesOptions = {}): Promise<Sandboxes> {
  const business = generateBusiness(options.seed);
  const common = { business, host: options.host, webhooks: options.webhooks };
  const started = await Promise.allSettled(SANDBOX_KEYS.map((key) => starters[key](common, options)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((s) => s.close()));
    throw failed.reason;
  }
  const [stripe, hubspot, googleCalendar, xero] = ok as [
    VendorSandbox,
    VendorSandbox,
    VendorSandbox,
    VendorSandbox,
  ];
  return {
    stripe,
    hubspot,
    googleCalendar,
    xero,
    all: ok,
    close: async () => {
      await Promise.all(ok.map((s) => s.close()));
    },
  };
}
