/**
 * A licensekit `Mailer` that posts each email as JSON to an HTTP mail API with `fetch`. The body
 * `{ from, to, subject, text, html, reply_to }` with a Bearer key is what Resend's
 * `POST https://api.resend.com/emails` takes; adapt `body` for another provider.
 */
import type { Mailer } from 'licensekit';

/** Options of {@link fetchMailer}. */
export interface FetchMailerOptions {
  /** The API endpoint, e.g. `https://api.resend.com/emails`. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** The sender, e.g. `Image Weaver <licenses@example.com>` (a domain verified with the provider). */
  from: string;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/** Rejects on a non-2xx answer, so the webhook answers 503 and the store retries the delivery. */
export function fetchMailer(options: FetchMailerOptions): Mailer {
  const send = options.fetch ?? fetch;
  return {
    async send(message) {
      const body = {
        from: message.from ?? options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html === undefined ? {} : { html: message.html }),
        ...(message.replyTo === undefined ? {} : { reply_to: message.replyTo }),
      };
      const response = await send(options.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the mail API answered ${response.status}`);
    },
  };
}
