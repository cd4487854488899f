import type { License } from '../domain/license.js';
import type { Purchase } from '../domain/purchase.js';
import { escapeHtml, singleLine } from './_escape-html.js';

export { escapeHtml } from './_escape-html.js';

/** What a license email template gets: the license, the product's display name and the sale, if any. */
export interface LicenseEmailContext {
  license: License;
  /** The product's display name (the store's product name, else the product id). */
  productName: string;
  /** The purchase the license was issued for; `null` for a license created by hand. */
  purchase: Purchase | null;
}

/**
 * The email a template produces. The recipient is always the license's email, so it is not here.
 * Templates must escape anything they put in `html` (see {@link escapeHtml}); the sender puts
 * `subject`, `from` and `replyTo` on one line each (they are mail headers).
 */
export interface LicenseEmail {
  subject: string;
  text: string;
  html?: string;
  from?: string;
  replyTo?: string;
}

/** Builds the license email for one license. Pure and synchronous; pass one as `emailTemplate`. */
export type LicenseEmailTemplate = (context: LicenseEmailContext) => LicenseEmail;

/** The `YYYY-MM-DD` UTC date of an ISO timestamp, or the input itself when it does not parse. */
function utcDate(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toISOString().slice(0, 10);
}

/**
 * The built-in license email: subject `Your license key for <product>`, a plain-text body and a
 * small HTML version with the same content (no images, links or scripts). It greets the customer by
 * name ("there" when the name is empty), gives the key on its own line, the number of devices, the
 * expiry date (UTC) or that the license never expires, and asks the customer to keep the email.
 * Every customer- or store-supplied string is HTML-escaped, and the subject never contains a line
 * break, so a hostile product or customer name cannot inject markup or mail headers.
 */
export const defaultLicenseEmailTemplate: LicenseEmailTemplate = ({ license, productName }) => {
  const product = singleLine(productName) || singleLine(license.productId);
  const name = singleLine(license.customerName) || 'there';
  const key = singleLine(license.key);
  const email = singleLine(license.email);
  const devices = `${license.maxDevices} ${license.maxDevices === 1 ? 'device' : 'devices'}`;
  const expiry =
    license.expiresAt === null
      ? 'This license never expires.'
      : `This license expires on ${utcDate(license.expiresAt)} (UTC).`;
  const keepNote =
    'Please keep this email: you will need the key if you reinstall or move to a new computer.';

  const text = [
    `Hi ${name},`,
    '',
    `Thank you for buying ${product}. Here is your license key:`,
    '',
    key,
    '',
    `Licensed to: ${email}`,
    `You can activate it on up to ${devices}.`,
    expiry,
    '',
    keepNote,
    '',
  ].join('\n');

  const html = [
    '<!doctype html>',
    '<html>',
    '<head><meta charset="utf-8"></head>',
    '<body style="padding:24px;font-family:sans-serif;font-size:15px;color:#1f2328;">',
    `<p>Hi ${escapeHtml(name)},</p>`,
    `<p>Thank you for buying <strong>${escapeHtml(product)}</strong>. Here is your license key:</p>`,
    `<p style="font-family:monospace;font-size:17px;padding:12px 16px;background:#f3f4f6;user-select:all;">${escapeHtml(key)}</p>`,
    `<p>Licensed to: ${escapeHtml(email)}<br>You can activate it on up to ${escapeHtml(devices)}.<br>${escapeHtml(expiry)}</p>`,
    `<p style="color:#57606a;font-size:13px;">${escapeHtml(keepNote)}</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');

  return { subject: `Your license key for ${product}`, text, html };
};
