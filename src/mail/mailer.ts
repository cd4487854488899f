/** One email to send. `html` is optional; `text` is always there for plain-text clients. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  from?: string;
  replyTo?: string;
}

/**
 * The mailer port: anything that can send a {@link MailMessage}. Reject to report a failure; the
 * caller records it and the license stays. Adapters for SMTP or an HTTP mail API are a few lines.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
