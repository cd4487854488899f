/**
 * A licensekit `Mailer` over SMTP with nodemailer. With Gmail: turn on 2-step verification, create an
 * app password, then `smtpMailer({ host: 'smtp.gmail.com', user: 'you@gmail.com', pass: '<app password>',
 * from: 'You <you@gmail.com>' })`.
 */
import type { Mailer, MailMessage } from 'licensekit';
import nodemailer from 'nodemailer';

/** The one method the mailer needs of a nodemailer transport (tests may pass their own). */
export interface MailTransport {
  sendMail(mail: MailMessage): Promise<unknown>;
}

/** Options of {@link smtpMailer}. */
export interface SmtpOptions {
  host: string;
  /** Default 465 (implicit TLS); 587 upgrades with STARTTLS. */
  port?: number;
  user?: string;
  pass?: string;
  /** The sender of every email that does not set its own `from`. */
  from: string;
}

/** Sends through `transport` (default: an SMTP transport for `options`); a failed send rejects. */
export function smtpMailer(options: SmtpOptions, transport?: MailTransport): Mailer {
  const port = options.port ?? 465;
  const smtp =
    transport ??
    nodemailer.createTransport({
      host: options.host,
      port,
      secure: port === 465,
      auth: options.user ? { user: options.user, pass: options.pass } : undefined,
    });
  return {
    async send(message) {
      await smtp.sendMail({ ...message, from: message.from ?? options.from });
    },
  };
}
