import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `/deposit/return`: where the payments page sends a customer after paying or giving up, when the
 * business set no page of its own (SWITCHBOARD_DEPOSIT_RETURN_URL). It says only what the query says
 * (paid or not, the reference): it reads nothing, so it needs no key and shows no one's data. The
 * booking is confirmed by the payments system's webhook, not by this page being seen.
 */
export function depositReturnPage(req: IncomingMessage, res: ServerResponse): void {
  const query = new URL(req.url ?? '/', 'http://hub').searchParams;
  const paid = query.get('deposit') === 'paid';
  const raw = query.get('reference') ?? '';
  // Only a reference's own characters are echoed: nothing a link's author types reaches the page.
  const reference = /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : null;
  const title = paid ? 'Deposit paid' : 'Deposit not paid';
  const text = paid
    ? 'Thank you: your deposit is paid and your booking will be confirmed by email shortly.'
    : 'Nothing was taken. The payment link stays open until it expires; after that the held time is let go.';
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.5rem}code{background:#eef1f6;padding:.1rem .35rem;border-radius:.25rem}</style></head>
<body><main><h1>${title}</h1><p>${text}</p>${reference ? `<p>Your reference: <code data-reference>${reference}</code></p>` : ''}</main></body></html>`;
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(body);
}
