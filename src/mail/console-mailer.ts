import type { Mailer, MailMessage } from './mailer.js';

/** Options for {@link consoleMailer}. */
export interface ConsoleMailerOptions {
  /** Where each line goes; default `console.log`. */
  log?: (line: string) => void;
}

const rule = '─'.repeat(60);

/**
 * A development {@link Mailer} that prints each message instead of sending it: recipient, sender
 * and reply-to when set, subject and the plain-text body in a framed block, one `log` call per line
 * (the HTML part is not printed). It resolves once printed, and rejects only if `log` throws.
 */
export function consoleMailer(options: ConsoleMailerOptions = {}): Mailer {
  const log = options.log ?? ((line: string) => console.log(line));
  return {
    async send(message: MailMessage): Promise<void> {
      const lines = [`┌${rule}`, `│ To:       ${message.to}`];
      if (message.from !== undefined) lines.push(`│ From:     ${message.from}`);
      if (message.replyTo !== undefined) lines.push(`│ Reply-To: ${message.replyTo}`);
      lines.push(`│ Subject:  ${message.subject}`, `├${rule}`);
      for (const line of message.text.replace(/\n$/, '').split(/\r\n|\r|\n/)) {
        lines.push(line === '' ? '│' : `│ ${line}`);
      }
      lines.push(`└${rule}`);
      for (const line of lines) log(line);
    },
  };
}
