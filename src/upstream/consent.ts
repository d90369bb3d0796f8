import type { SourceConsent } from '../domain/source-module.ts';
import { CodeExchangeError, exchangeAuthorizationCode, type ConsentClient } from './oauth.ts';

/**
 * A module's `consent` when its settings may hold no OAuth client (the vendor then runs on a fixed
 * token from the environment): the consent page with `client_id`, `redirect_uri`, `state` and the
 * vendor's own `query` (scopes, offline access), and the standard code exchange. Without a client
 * both throw `CodeExchangeError` with `missing`, which says what to set (startConnection shows it).
 */
export function clientConsent<S>(options: {
  client(settings: S): ConsentClient | undefined;
  missing: string;
  query: Record<string, string>;
}): SourceConsent<S> {
  const clientOf = (settings: S): ConsentClient => {
    const client = options.client(settings);
    if (!client) throw new CodeExchangeError(options.missing);
    return client;
  };
  return {
    authorizeUrl(settings, { redirectUri, state }) {
      const client = clientOf(settings);
      const url = new URL(client.authorizeUrl);
      url.search = new URLSearchParams({
        client_id: client.clientId,
        redirect_uri: redirectUri,
        state,
        ...options.query,
      }).toString();
      return url.toString();
    },
    exchange: (settings, { code, redirectUri }) =>
      exchangeAuthorizationCode({ ...clientOf(settings), code, redirectUri }),
  };
}
