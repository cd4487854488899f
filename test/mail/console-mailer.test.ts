import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleMailer, defaultLicenseEmailTemplate } from '../../src/index.js';
import { licenseFixture } from '../../src/testing.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('consoleMailer', () => {
  it('prints recipient, subject and text in a framed block through log', async () => {
    const lines: string[] = [];
    const mailer = consoleMailer({ log: (line) => lines.push(line) });
    const license = licenseFixture({ key: 'IWC-7K3QF-ABCDE', email: 'ada@example.com' });
    const email = defaultLicenseEmailTemplate({ license, productName: 'App', purchase: null });

    await expect(mailer.send({ to: license.email, ...email })).resolves.toBeUndefined();

    expect(lines[0]).toMatch(/^┌─+$/);
    expect(lines.at(-1)).toMatch(/^└─+$/);
    expect(lines).toContain('│ To:       ada@example.com');
    expect(lines).toContain('│ Subject:  Your license key for App');
    expect(lines).toContain('│ IWC-7K3QF-ABCDE');
    expect(lines.every((line) => /^[┌│├└]/.test(line))).toBe(true);
    expect(lines.join('\n')).not.toContain('<html');
  });

  it('prints from and reply-to only when set, and handles CRLF text', async () => {
    const lines: string[] = [];
    const mailer = consoleMailer({ log: (line) => lines.push(line) });
    await mailer.send({ to: 'a@example.com', subject: 'Hi', text: 'one\r\ntwo' });
    expect(lines.some((line) => line.includes('From:'))).toBe(false);
    expect(lines).toEqual(expect.arrayContaining(['│ one', '│ two']));

    lines.length = 0;
    await mailer.send({
      to: 'a@example.com',
      subject: 'Hi',
      text: 'x',
      from: 'shop@example.com',
      replyTo: 'help@example.com',
    });
    expect(lines).toContain('│ From:     shop@example.com');
    expect(lines).toContain('│ Reply-To: help@example.com');
  });

  it('defaults to console.log', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    await consoleMailer().send({ to: 'b@example.com', subject: 'S', text: 'T' });
    expect(spy.mock.calls.map((call) => call[0])).toContain('│ To:       b@example.com');
  });

  it('rejects when log throws', async () => {
    const mailer = consoleMailer({
      log: () => {
        throw new Error('broken pipe');
      },
    });
    await expect(mailer.send({ to: 'a@example.com', subject: 'S', text: 'T' })).rejects.toThrow(
      'broken pipe',
    );
  });
});
