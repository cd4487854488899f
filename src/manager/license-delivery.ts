import type { PurchaseAuditLog } from '../audit/purchase-audit-log.js';
import { emailAddressPattern } from '../domain/_schema-parts.js';
import type { Clock } from '../domain/clock.js';
import { LicenseKitError } from '../domain/errors.js';
import type { License } from '../domain/license.js';
import type { Purchase } from '../domain/purchase.js';
import { singleLine } from '../mail/_escape-html.js';
import type { LicenseEmail, LicenseEmailTemplate } from '../mail/license-email.js';
import type { Mailer } from '../mail/mailer.js';
import type { LicenseStore } from '../ports/storage.js';

/** The license email could not be sent. The license is stored; `license` is it, undelivered. */
export class MailDeliveryError extends LicenseKitError {
  override name = 'MailDeliveryError';
  readonly license: License;

  constructor(license: License, cause: unknown) {
    super(
      'MAIL_FAILED',
      'the license email could not be sent; the license is stored and the email can be retried',
      {
        cause,
      },
    );
    this.license = license;
  }
}

/** What {@link LicenseDelivery} needs from the manager. */
export interface LicenseDeliveryOptions {
  licenses: LicenseStore;
  audit: PurchaseAuditLog;
  mailer: Mailer | undefined;
  template: LicenseEmailTemplate;
  clock: Clock;
}

/**
 * Sends license emails at most once per license: a send first claims the license by setting
 * `deliveredAt` atomically, so concurrent redeliveries of a webhook (in any process) send one email.
 * A failed send releases the claim, records `email_failed` and throws {@link MailDeliveryError}, so the
 * store's retry of the webhook sends it again.
 */
export class LicenseDelivery {
  readonly #options: LicenseDeliveryOptions;

  constructor(options: LicenseDeliveryOptions) {
    this.#options = options;
  }

  /**
   * Sends the email unless it was sent already, there is no mailer, or the license has no email
   * address (a license a refund or dispute stored before its sale, from a payload without one);
   * returns the license.
   */
  async deliver(license: License, purchase: Purchase | null, actor: string): Promise<License> {
    if (!this.#options.mailer || license.deliveredAt !== null || license.email === '') return license;
    return this.#send(license, purchase, actor, (current) => current.deliveredAt === null);
  }

  /** Sends the email again, whether or not it was sent before. */
  resend(license: License, purchase: Purchase | null, actor: string): Promise<License> {
    if (!this.#options.mailer) {
      throw new LicenseKitError('MAIL_FAILED', 'no mailer is configured, so no email can be sent');
    }
    return this.#send(license, purchase, actor, () => true);
  }

  async #send(
    license: License,
    purchase: Purchase | null,
    actor: string,
    shouldSend: (current: License) => boolean,
  ): Promise<License> {
    const { licenses, audit, mailer, template, clock } = this.#options;
    const at = clock().toISOString();
    let claimed = false;
    const current = await licenses.update(license.key, (latest) => {
      claimed = shouldSend(latest);
      return claimed ? { ...latest, deliveredAt: at } : latest;
    });
    if (current === null || !claimed) return current ?? license;
    try {
      // Inside the claim's try: a template that throws releases the claim like a failed send.
      const email = template({
        license: current,
        productName: purchase?.productName || current.productId,
        purchase,
      });
      await mailer!.send({ to: recipient(current), ...email, ...singleLineHeaders(email) });
    } catch (error) {
      const released = await licenses.update(current.key, (latest) =>
        latest.deliveredAt === at ? { ...latest, deliveredAt: license.deliveredAt } : latest,
      );
      await audit.recordLicenseAction('email_failed', current.key, { reason: describeFailure(error), actor });
      throw new MailDeliveryError(released ?? current, error);
    }
    await audit.recordLicenseAction('email_sent', current.key, { reason: null, actor });
    return current;
  }
}

/**
 * The license's email as a recipient. Purchases from stores are checked to hold one address, but a
 * license imported or stored by other means may not: one that would add recipients or headers is
 * refused (the send fails as with a mailer error) rather than passed to the mailer.
 */
function recipient(license: License): string {
  if (emailAddressPattern.test(license.email)) return license.email;
  throw new LicenseKitError('INVALID_INPUT', 'the license email is not one email address');
}

/** A failure reason safe to store: the error's name and code, never its message (it may hold credentials). */
function describeFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'the email was not sent';
  const { name, code } = error as { name?: unknown; code?: unknown };
  return [
    'the email was not sent',
    typeof name === 'string' ? name : null,
    typeof code === 'string' ? code : null,
  ]
    .filter(Boolean)
    .join(': ');
}

/** The header fields of `email` on one line each, so no template can inject mail headers. */
function singleLineHeaders({
  subject,
  from,
  replyTo,
}: LicenseEmail): Pick<LicenseEmail, 'subject' | 'from' | 'replyTo'> {
  return {
    subject: singleLine(subject),
    ...(from === undefined ? {} : { from: singleLine(from) }),
    ...(replyTo === undefined ? {} : { replyTo: singleLine(replyTo) }),
  };
}
