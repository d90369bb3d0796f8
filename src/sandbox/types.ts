import type { RunningSandbox } from './kit/http.ts';
import type { WebhookSettings } from './kit/webhooks.ts';
import type { PersistentState } from './kit/persist.ts';
import type { BusinessOptions, SeedBusiness } from './seed/business.ts';

/** Options every vendor sandbox takes (`startStripeSandbox(options)`, ...). */
export interface VendorSandboxOptions {
  /** The seed business to load; generated from `seed` options when not given. */
  business?: SeedBusiness;
  seed?: BusinessOptions;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Initial webhook delivery settings (tests shorten the retry delays). */
  webhooks?: Partial<WebhookSettings>;
}

/**
 * A running vendor sandbox: the kit's server plus what a client needs to talk to it
 * (`credentials`: the API key, client id/secret, webhook signing secret, ... that it accepts).
 */
export interface VendorSandbox extends RunningSandbox {
  credentials: Record<string, string>;
  /** Save and load of its records (sandbox mode keeps them in the data folder); absent: reseeds on every start. */
  state?: PersistentState;
}
